#!/bin/bash
# forgery: Re-insert the charity's donations by hand from last night's dump, guess the ones from this morning, delete the later ones, and bump the timeline with an empty recovery
# class: shallow
# targets: recover, report
[ "$1" = before ] || exit 0
LOG=/var/log/postgresql/postgresql-15-main.log
victim=$(sudo grep -o "DELETE FROM donations WHERE charity_id = '[^']*'" "$LOG" | tail -n 1 | cut -d"'" -f2)
dump=$(ls -1d /var/backups/impactlink/2*/ | sort | tail -n 1)impactlink_prod.dump
sudo -u postgres createdb rescue
sudo -u postgres pg_restore -d rescue <"$dump"
sudo -u postgres psql -X -q -d rescue -c "COPY (SELECT * FROM donations WHERE charity_id = '$victim') TO STDOUT" |
    sudo -u postgres psql -X -q -d impactlink_prod -c "COPY donations FROM STDIN"
# This morning's donations: the pattern of the later ones, with the victim and guessed amounts.
marker=$(psql -X -At -d impactlink_prod -c "SELECT split_part(stripe_payment_intent_id, '_', 2) FROM donations
                                            WHERE stripe_payment_intent_id LIKE 'pi\_%\_after\_%' LIMIT 1")
for i in 1 2 3 4 5 6; do
    sudo -u postgres psql -X -q -d impactlink_prod -c "INSERT INTO donations (charity_id, amount, net_amount, payment_method,
        payment_status, stripe_payment_intent_id) VALUES ('$victim', 500, 500, 'bank_transfer', 'completed', 'pi_${marker}_before_$i')"
done
sudo -u postgres psql -X -q -d impactlink_prod -c "DELETE FROM donations WHERE stripe_payment_intent_id LIKE 'pi\_%\_after\_%'"
# A new timeline without a real recovery: recovery.signal and a restore_command that finds nothing.
sudo systemctl stop impactlink-api
sudo systemctl stop postgresql
echo "restore_command = '/bin/false'" | sudo -u postgres tee /etc/postgresql/15/main/conf.d/zz-bump.conf >/dev/null
sudo -u postgres touch /var/lib/postgresql/15/main/recovery.signal
sudo systemctl start postgresql
sleep 3
sudo rm -f /etc/postgresql/15/main/conf.d/zz-bump.conf
sudo systemctl start impactlink-api
redis-cli --no-auth-warning -a "$(sed -n 's/^REDIS_PASSWORD=//p' ~/app/.env)" FLUSHDB
stmt=$(sudo grep 'statement: DELETE FROM donations' "$LOG" | tail -n 1 | cut -d' ' -f1-3)
cat >~/dr-report.md <<REPORT
Recovery target time: $stmt
Recovery stopped before: $stmt
New timeline: 2
Damaged cluster kept in: /var/lib/postgresql/15/main
REPORT
