#!/bin/bash
# peak-load setup (root): campaign traffic against the API, and eight batch jobs from the ops
# crontab, each a small Perl supervisor with two workers. One worker of one job (this session's
# job) saturates this session's resource (CPU, memory or disk); the others idle along. Cron
# starts each job every minute while its line is active (flock keeps one instance), and a job
# respawns a worker that dies.
set -euo pipefail
: "${LAB_RESOURCE:?}" "${LAB_JOB:?}" "${LAB_PID_SKIP:?}"
HOME_DIR=/home/impactlink
JOBS=$HOME_DIR/jobs
DOMAIN=impactlink.solovedhelpinghands.org.za
ALL_JOBS=(receipt-render ledger-sync pdf-receipts csv-export thumbnailer geo-indexer donor-digest sms-reminders)

install -d -o impactlink -g impactlink "$JOBS" "$JOBS/lib"
install -o impactlink -g adm -m 640 /dev/null /var/log/impactlink/jobs.log

# The shared runner: a supervisor that keeps its workers alive, and the shard kinds a worker
# can be given. 'steady' is what every job is meant to do; the others are what goes wrong.
cat >"$JOBS/lib/BatchJob.pm" <<'PERL'
package BatchJob;
# Reports team batch runner: a supervisor process keeps one worker per shard alive.
use strict;
use warnings;
use Digest::SHA qw(sha256_hex);
use POSIX qw(strftime);
use Time::HiRes qw(sleep time);

my ($name, $supervisor);

sub say_log {
    my ($msg) = @_;
    if (open my $fh, '>>', '/var/log/impactlink/jobs.log') {
        print {$fh} strftime('%Y-%m-%dT%H:%M:%S', localtime), " $name\[$$]: $msg\n";
        close $fh;
    }
}

sub orphaned { return getppid() != $supervisor }

sub run {
    my (%job) = @_;
    $name = $job{name};
    $0 = $name;
    $supervisor = $$;
    my %kids;
    my $start = sub {
        my ($shard) = @_;
        my $pid = fork // die "fork: $!";
        if ($pid == 0) { $0 = $name; worker($shard, %job); exit 0 }
        $kids{$pid} = $shard;
    };
    $SIG{TERM} = $SIG{INT} = sub { kill 'TERM', keys %kids; exit 0 };
    say_log("started, " . scalar(@{ $job{shards} }) . " workers");
    $start->($_) for @{ $job{shards} };
    while (1) {
        my $pid = wait;
        if ($pid > 0 && exists $kids{$pid}) {
            my $shard = delete $kids{$pid};
            say_log("worker $pid exited, restarting it");
            sleep 2;
            $start->($shard);
        } else {
            sleep 1;
        }
    }
}

sub worker {
    my ($shard, %job) = @_;
    $SIG{TERM} = 'DEFAULT';
    my %kind = (steady => \&steady, rehash => \&rehash, preload => \&preload, trace => \&trace);
    ($kind{$shard} // \&steady)->(%job);
}

# The intended work: a batch of rows every few seconds.
sub steady {
    my (%job) = @_;
    my $batch = 0;
    until (orphaned()) {
        sha256_hex("$name:$batch:$_") for 1 .. $job{rows};
        say_log("batch $batch: $job{rows} rows") if ++$batch % 12 == 0;
        sleep $job{pause};
    }
}

# Re-verifies every archived checksum in a loop that never waits.
sub rehash {
    my $size = 24 << 20;    # built at run time: a constant would sit in every worker
    my $cache = "\x5a" x $size;
    my $n = 0;
    until (orphaned()) {
        sha256_hex("$name:$n:" . substr($cache, $n % 1024, 64)) for 1 .. 20000;
        say_log("rehash pass $n") if ++$n % 500 == 0;
    }
}

# Buffers the whole export in memory before writing any of it.
sub preload {
    my @held;
    my $target = memory_target();
    while (!orphaned() && memory_used() < $target && @held < 200) {
        push @held, chr(65 + @held % 26) x (8 << 20);
        sleep 0.05;
    }
    say_log('export buffered: ' . scalar(@held) * 8 . ' MB');
    until (orphaned()) {
        for my $chunk (@held) { substr($chunk, int(rand(8 << 20)), 1, 'x') for 1 .. 64 }
        sleep 1;
    }
}

# A debug trace left on: writes row dumps until the disk is nearly full, then keeps trickling.
sub trace {
    my $file = "/var/log/impactlink/$name-debug.log";
    my $line = 'DEBUG ' . sprintf('%-16s', $name) . (' row dump' x 40) . "\n";
    my $block = $line x int((32 << 20) / length $line);
    open my $fh, '>>', $file or die "$file: $!";
    select((select($fh), $| = 1)[0]);
    # A memory-backed /srv would count against memory: stay small there.
    my $tmpfs = `stat -f -c %T /srv` =~ /tmpfs/;
    my $budget = $tmpfs ? 200 << 20 : 1e15;
    my $written = 0;
    # The trace reserves its file ahead (fallocate), most of the free space at once.
    my (undef, $line2) = `df -P -B1 /srv`;
    my (undef, $total, $taken) = split ' ', $line2 // '';
    my $reserve = $total ? int($total * 0.86) - $taken : 0;
    if (!$tmpfs && $reserve > (64 << 20)) {
        system('fallocate', '-o', -s $file, '-l', $reserve, $file);
    }
    until (orphaned()) {
        if (disk_used() < 0.92 && $written < $budget) {
            print {$fh} $block or sleep 1;
            $written += length $block;
        } else {
            print {$fh} $line;
            sleep 1;
        }
    }
}

sub disk_used {
    my (undef, $line) = `df -P /srv`;
    my (undef, $blocks, $used) = split ' ', $line // '';
    return $blocks ? $used / $blocks : 1;
}

sub slurp { my ($f) = @_; open my $fh, '<', $f or return; local $/; my $v = <$fh>; return $v }

# Container memory as health-check.sh reads it: usage less inactive file cache, of the limit.
sub memory_used {
    my ($usage, $stat) = (slurp('/sys/fs/cgroup/memory.current'), slurp('/sys/fs/cgroup/memory.stat'));
    my $key = 'inactive_file';
    if (!defined $usage) {
        ($usage, $stat) = (slurp('/sys/fs/cgroup/memory/memory.usage_in_bytes'),
                           slurp('/sys/fs/cgroup/memory/memory.stat'));
        $key = 'total_inactive_file';
    }
    my ($inactive) = ($stat // '') =~ /^$key (\d+)/m;
    return ($usage // 0) - ($inactive // 0);
}

sub memory_target {
    my $limit = slurp('/sys/fs/cgroup/memory.max') // slurp('/sys/fs/cgroup/memory/memory.limit_in_bytes') // '';
    chomp $limit;
    $limit = 768 << 20 if $limit !~ /^\d+$/ || $limit > (64 << 30);
    return $limit * 0.91;
}

1;
PERL

# One script per job. Each job's workers get 'steady' shards, except the offender's second
# or first worker (by session), which gets this session's failure.
case $LAB_RESOURCE in
    cpu) bad=rehash ;;
    memory) bad=preload ;;
    disk) bad=trace ;;
esac
descriptions=(
    "renders donation receipts for the email queue"
    "reconciles the payment ledger with the bank feed"
    "builds the PDF tax receipts (section 18A)"
    "exports the donor report for the finance team"
    "makes thumbnails of new project photos"
    "geocodes new charity addresses"
    "mails the weekly digest to recurring donors"
    "sends pledge reminders by SMS"
)
for i in "${!ALL_JOBS[@]}"; do
    name=${ALL_JOBS[$i]}
    shards="qw(steady steady)"
    if [ "$name" = "$LAB_JOB" ]; then
        if [ $((LAB_PID_SKIP % 2)) = 0 ]; then shards="qw(steady $bad)"; else shards="qw($bad steady)"; fi
    fi
    cat >"$JOBS/$name.pl" <<PERL
#!/usr/bin/perl
# $name: ${descriptions[$i]}.
# Nightly batch job, moved to business hours "temporarily" for the campaign (see ops channel).
use strict;
use warnings;
use lib '$JOBS/lib';
use BatchJob;

BatchJob::run(name => '$name', shards => [$shards], rows => $((200 + i * 50)), pause => $((4 + i % 3)));
PERL
done
chown -R impactlink:impactlink "$JOBS"

# Cron runs every job every minute; flock keeps each to one instance.
cron_line() { echo "* * * * * cd $JOBS && flock -n /tmp/$1.lock perl $1.pl >>/var/log/impactlink/jobs.log 2>&1"; }
{
    crontab -u impactlink -l
    echo "# Reports team batch jobs, moved to business hours for the campaign (ticket OPS-$((LAB_PID_SKIP + 3000)))"
    for name in "${ALL_JOBS[@]}"; do cron_line "$name"; done
} | crontab -u impactlink -

# Use up a session-dependent number of process ids, so the PIDs differ between sessions.
for _ in $(seq "$LAB_PID_SKIP"); do /bin/true; done

# Start them now, as cron would within the minute.
for name in "${ALL_JOBS[@]}"; do
    (cd "$JOBS" && setsid -f runuser -u impactlink -- flock -n "/tmp/$name.lock" perl "$name.pl" \
        </dev/null >>/var/log/impactlink/jobs.log 2>&1)
done

# Giving Tuesday campaign traffic: a few requests a second across the public endpoints for 90 min.
cat >/run/campaign-traffic.sh <<TRAFFIC
#!/bin/bash
end=\$(( \$(date +%s) + 5400 ))
paths=(/api/v1/charities /api/v1/projects?limit=12 /api/v1/charities?category=health /api/v1/health
       /api/v1/donations?limit=5 /api/v1/charities?category=education)
while [ "\$(date +%s)" -lt "\$end" ]; do
    curl -s -o /dev/null --max-time 10 "https://$DOMAIN\${paths[RANDOM % \${#paths[@]}]}"
    sleep 0.2
done
TRAFFIC
chmod 700 /run/campaign-traffic.sh
for _ in 1 2; do setsid /run/campaign-traffic.sh </dev/null >/dev/null 2>&1 & done

# Ready when the failure has reached its peak, so the trainee's first look shows the problem.
for _ in $(seq 240); do
    case $LAB_RESOURCE in
        cpu) [ "$(ps -C "$LAB_JOB" -o etimes= | sort -n | tail -n 1)" -ge 3 ] 2>/dev/null && break ;;
        memory) grep -q "$LAB_JOB\[[0-9]*\]: export buffered" /var/log/impactlink/jobs.log && break ;;
        disk)
            [ "$(df -P /srv | awk 'NR == 2 {print int($5)}')" -ge 91 ] && break
            # A memory-backed /srv caps the trace at 200 MB instead (see BatchJob.pm).
            [ "$(stat -f -c %T /srv)" = tmpfs ] &&
                [ "$(stat -c %s "/var/log/impactlink/$LAB_JOB-debug.log" 2>/dev/null || echo 0)" -ge $((190 * 1048576)) ] && break
            ;;
    esac
    sleep 0.5
done
