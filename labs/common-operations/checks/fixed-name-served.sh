#!/bin/bash
# Probe: through Nginx, the page of the full charity list and the page of its category list that
# hold the corrected charity show its corrected name and not the misspelt one; a second request
# of the same page is a cache HIT with the same name (the cache still works); Nginx's site
# configuration is the one the server was built with (no answer of Nginx's own for the lists).
set -uo pipefail
fixed=${LAB_FIXED:?}
# The misspelling: the first two different neighbouring letters after the first of the name's
# last word, swapped ("Keepers" becomes "Kepeers", "Centre" becomes "Cnetre").
misspell() {
    local name=$1 last i
    last=${name##* }
    for ((i = 1; i < ${#last} - 1; i++)); do
        if [ "${last:i:1}" != "${last:i+1:1}" ]; then
            echo "${name% *} ${last:0:i}${last:i+1:1}${last:i:1}${last:i+2}"
            return
        fi
    done
    echo "$name"
}
wrong=$(misspell "$fixed")
q=${fixed//\'/\'\'}
read -r category rank_all rank_cat < <(hpsql impactlink_prod "SELECT category, all_rank, cat_rank FROM (
        SELECT name, category, row_number() OVER (ORDER BY name) AS all_rank,
               row_number() OVER (PARTITION BY category ORDER BY name) AS cat_rank
          FROM public.charities WHERE verification_status = 'verified') r
     WHERE name = '$q'" 2>/dev/null | tr '|' ' ')
fixed_pages=0 works=0
if [[ $rank_all =~ ^[0-9]+$ && $rank_cat =~ ^[0-9]+$ ]]; then
    for query in "page=$(((rank_all - 1) / 20 + 1))" "category=$category&page=$(((rank_cat - 1) / 20 + 1))"; do
        for try in 1 2; do
            out=$(hcurl -s --max-time 5 -D - "https://$ACADEMY_DOMAIN/api/v1/charities?$query" 2>/dev/null)
            names=$(sed -n '/^{/p' <<<"$out" | jq -r '.data[]?.name' 2>/dev/null)
            shows=0
            grep -qxF "$fixed" <<<"$names" && ! grep -qxF "$wrong" <<<"$names" && shows=1
            if [ "$try" = 1 ]; then
                fixed_pages=$((fixed_pages + shows))
            elif [ "$shows" = 1 ] && grep -qi '^x-cache: *HIT' <<<"$out"; then
                works=1
            fi
        done
    done
fi
obs lists_fixed "$fixed_pages"
obs cache_works "$works"
norm() { sed -e 's/#.*$//' -e 's/[[:space:]]\+/ /g' -e 's/^ //' -e 's/ $//' "$1" 2>/dev/null | grep -v '^$'; }
same=1
for file in /etc/nginx/nginx.conf /etc/nginx/sites-available/impactlink; do
    [ "$(norm "$file")" = "$(norm "/opt/srv-seed$file")" ] || same=0
done
for dir in sites-enabled conf.d; do
    [ "$(ls -A "/etc/nginx/$dir" 2>/dev/null)" = "$(ls -A "/opt/srv-seed/etc/nginx/$dir" 2>/dev/null)" ] || same=0
done
obs nginx_config_as_designed "$same"
exit 0
