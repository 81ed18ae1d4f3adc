# The probe's agent (app/sandboxes/probe_agent.py): runs the platform's check commands in the
# probe container without a `docker exec` each. Started as the probe's main process with this
# text in ACADEMY_PROBE_AGENT and a key in ACADEMY_PROBE_KEY; listens on TCP port 7191 of the
# probe's private address. Only perl-base modules are used: the probe runs the sandbox's image.
#
# One connection runs one command:
#   agent  -> "ACADEMY-PROBE 1 <nonce>\n"                   (a fresh random nonce)
#   client -> "RUN <length> <mac>\n" <body>                 (mac = HMAC-SHA256(key, nonce . body))
#   agent  -> "DONE <exit> <timed out> <out length> <err length> <mac>\n" <stdout> <stderr>
#             (mac = HMAC-SHA256(key, "<nonce>\n<request mac>\n<header fields>\n" . stdout . stderr))
# The body is "<deadline seconds>\0<argc>\0<arg 1>\0...<arg n>\0" followed by the stdin bytes.
# Whoever lacks the key can neither run a command nor answer in the agent's place.
use strict;
use warnings;
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(time);
use Digest::SHA qw(hmac_sha256_hex);

$0 = 'academy-probe-agent';
my $KEY = delete $ENV{ACADEMY_PROBE_KEY} // '';
die "probe agent: no key\n" if length($KEY) < 32;
my $LIMIT = 4 * 1024 * 1024;    # bytes kept of each stream, as for an exec
my $MAX_BODY = 2 * 1024 * 1024;    # eight connections at once stay far below the probe's 96 MB
my $AT_ONCE = 8;

$SIG{PIPE} = 'IGNORE';
$SIG{TERM} = sub { POSIX::_exit(0) };
my $server = IO::Socket::INET->new(
    LocalAddr => '0.0.0.0', LocalPort => 7191, Listen => 32, ReuseAddr => 1, Proto => 'tcp',
) or die "probe agent: cannot listen: $!\n";

my %busy;
while (1) {
    while ((my $done = waitpid(-1, POSIX::WNOHANG())) > 0) { delete $busy{$done} }
    my $conn = $server->accept or next;
    if (keys %busy >= $AT_ONCE) { close $conn; next }
    my $pid = fork;
    if (!defined $pid) { close $conn; next }
    if ($pid) { $busy{$pid} = 1; close $conn; next }
    close $server;
    serve($conn);
    POSIX::_exit(0);
}

sub same {
    my ($left, $right) = @_;
    return 0 unless defined $left && defined $right && length($left) == length($right);
    my $diff = 0;
    $diff |= ord(substr($left, $_, 1)) ^ ord(substr($right, $_, 1)) for 0 .. length($left) - 1;
    return $diff == 0;
}

sub random_hex {
    open my $random, '<:raw', '/dev/urandom' or die "probe agent: /dev/urandom: $!\n";
    read($random, my $bytes, 16) == 16 or die "probe agent: short read of /dev/urandom\n";
    close $random;
    return unpack('H*', $bytes);
}

sub read_line {
    my ($conn, $max) = @_;
    my $line = '';
    while (length($line) < $max) {
        my $got = sysread($conn, my $char, 1);
        return undef unless $got;
        return $line if $char eq "\n";
        $line .= $char;
    }
    return undef;
}

sub read_exact {
    my ($conn, $length) = @_;
    my $data = '';
    while (length($data) < $length) {
        my $got = sysread($conn, $data, $length - length($data), length($data));
        return undef unless $got;
    }
    return $data;
}

sub write_all {
    my ($handle, $data) = @_;
    my $at = 0;
    while ($at < length $data) {
        my $put = syswrite($handle, $data, length($data) - $at, $at);
        return 0 unless defined $put;
        $at += $put;
    }
    return 1;
}

sub serve {
    my ($conn) = @_;
    binmode $conn;
    $SIG{ALRM} = sub { POSIX::_exit(0) };
    alarm 15;    # the request must arrive soon after the connection
    my $nonce = random_hex();
    write_all($conn, "ACADEMY-PROBE 1 $nonce\n") or return;
    my ($verb, $length, $mac) = split / /, (read_line($conn, 200) // return);
    return unless defined $mac && $verb eq 'RUN' && $length =~ /^\d+$/ && $length <= $MAX_BODY;
    my $body = read_exact($conn, $length) // return;
    return unless same(hmac_sha256_hex($nonce . $body, $KEY), $mac);
    alarm 0;

    my ($deadline, $argc, @argv) = (undef, undef);
    my $at = 0;
    for my $field (0 .. 1) {
        my $end = index($body, "\0", $at);
        return if $end < 0;
        my $value = substr($body, $at, $end - $at);
        return unless $value =~ /^\d+$/;
        ($field == 0 ? $deadline : $argc) = $value;
        $at = $end + 1;
    }
    return if $argc < 1 || $argc > 4096;
    for (1 .. $argc) {
        my $end = index($body, "\0", $at);
        return if $end < 0;
        push @argv, substr($body, $at, $end - $at);
        $at = $end + 1;
    }
    my $stdin = substr($body, $at);
    my ($exit, $timed_out, $out, $err) = run_command($deadline, $stdin, @argv);
    my $header = "$exit $timed_out " . length($out) . ' ' . length($err);
    my $answer = hmac_sha256_hex("$nonce\n$mac\n$header\n" . $out . $err, $KEY);
    write_all($conn, "DONE $header $answer\n" . $out . $err);
    shutdown($conn, 1);
}

# The command's stdin as an unlinked file on the probe's /tmp: bash reads a script from a pipe one
# byte per read(2), and from a file a block at a time. A pipe when the file cannot be made.
sub stdin_file {
    my ($stdin) = @_;
    return undef unless length $stdin;
    my $path = "/tmp/.academy-stdin-" . random_hex();
    sysopen(my $file, $path, POSIX::O_RDWR() | POSIX::O_CREAT() | POSIX::O_EXCL(), 0600)
        or return undef;
    unlink $path;
    binmode $file;
    return (write_all($file, $stdin) && sysseek($file, 0, 0)) ? $file : undef;
}

sub run_command {
    my ($deadline, $stdin, @argv) = @_;
    my $in_file = stdin_file($stdin);
    $stdin = '' if $in_file;
    pipe(my $in_read, my $in_write) or return (-1, 0, '', "probe agent: pipe: $!");
    pipe(my $out_read, my $out_write) or return (-1, 0, '', "probe agent: pipe: $!");
    pipe(my $err_read, my $err_write) or return (-1, 0, '', "probe agent: pipe: $!");
    my $child = fork;
    return (-1, 0, '', "probe agent: fork: $!") unless defined $child;
    if (!$child) {
        # As under `docker exec`: its own session, default signal handling, working directory /.
        POSIX::setsid();
        $SIG{$_} = 'DEFAULT' for qw(PIPE TERM ALRM CHLD);
        chdir '/';
        open(STDIN, '<&', $in_file // $in_read) && open(STDOUT, '>&', $out_write)
            && open(STDERR, '>&', $err_write) or POSIX::_exit(126);
        POSIX::close($_) for 3 .. 255;
        { no warnings 'exec'; exec { $argv[0] } @argv; }
        POSIX::_exit(127);
    }
    close $in_read;
    close $in_file if $in_file;
    close $out_write;
    close $err_write;
    $_->blocking(0) for $in_write, $out_read, $err_read;

    my $ends = time + $deadline;
    my ($out, $err, $sent, $timed_out, $status, $exited_at) = ('', '', 0, 0, undef, undef);
    my %open = (out => $out_read, err => $err_read);
    my $writing = length($stdin) ? 1 : 0;
    close $in_write unless $writing;
    while (%open) {
        if (!defined $status && waitpid($child, POSIX::WNOHANG()) == $child) {
            $status = $?;
            $exited_at = time;
        }
        # A command that has ended but left something holding its output gets a moment more.
        last if defined $exited_at && time - $exited_at > 1;
        if (time >= $ends) { $timed_out = 1; last }
        my ($readable, $writable) = ('', '');
        vec($readable, fileno($_), 1) = 1 for values %open;
        vec($writable, fileno($in_write), 1) = 1 if $writing;
        my $found = select(my $can_read = $readable, my $can_write = $writable, undef, 0.2);
        next if $found <= 0;
        if ($writing && vec($can_write, fileno($in_write), 1)) {
            my $put = syswrite($in_write, $stdin, 65536, $sent);
            if (!defined $put) {
                if (!$!{EAGAIN}) { $writing = 0; close $in_write }
            } else {
                $sent += $put;
                if ($sent >= length $stdin) { $writing = 0; close $in_write }
            }
        }
        for my $name (keys %open) {
            my $handle = $open{$name};
            next unless vec($can_read, fileno($handle), 1);
            my $got = sysread($handle, my $chunk, 65536);
            next if !defined $got && $!{EAGAIN};
            if (!$got) { delete $open{$name}; next }
            my $kept = $name eq 'out' ? \$out : \$err;
            $$kept .= substr($chunk, 0, $LIMIT - length($$kept)) if length($$kept) < $LIMIT;
        }
    }
    close $in_write if $writing;
    if (!defined $status) {
        kill 'KILL', -$child if $timed_out;
        waitpid($child, 0);
        $status = $?;
    }
    my $exit = POSIX::WIFEXITED($status) ? POSIX::WEXITSTATUS($status)
        : POSIX::WIFSIGNALED($status) ? 128 + POSIX::WTERMSIG($status) : -1;
    return ($exit, $timed_out, $out, $err);
}
