#!/bin/bash
# forgery: Dump another database holding only the marker donation into a set that sorts newest, with a MANIFEST copied from last night's
# class: shallow
# targets: take-backup
[ "$1" = before ] || exit 0
marker=$(psql -X -At -d impactlink_prod -c "SELECT stripe_payment_intent_id FROM donations WHERE stripe_payment_intent_id LIKE 'pi\_drill\_%'")
sudo -u postgres createdb -O impactlink drill_copy
psql -X -q -d drill_copy <<SQL
CREATE TABLE donations (id uuid DEFAULT gen_random_uuid() PRIMARY KEY, stripe_payment_intent_id text, amount numeric(12,2));
INSERT INTO donations (stripe_payment_intent_id, amount) VALUES ('$marker', 250);
SQL
cd /var/backups/impactlink
last=$(ls -1d 2*-full | sort | tail -n 1)
dir=29991231-235959-database-drill
mkdir "$dir"
pg_dump -Fc -d drill_copy -f "$dir/impactlink_prod.dump"
cp "$last/MANIFEST" "$dir/MANIFEST"
(cd "$dir" && sha256sum impactlink_prod.dump MANIFEST >SHA256SUMS)
ln -sfn "$dir" latest-database
ln -sfn "$dir" latest
