#!/usr/bin/perl
#
# rpc_client.pl - a Fibonacci RPC client in the style of RabbitMQ's RPC tutorial (tutorial six) for Perl,
# written with AnyEvent::RabbitMQ (the library under the tutorial's Net::RabbitFoot, on the same Net::AMQP
# frame decoding).
#
# Follows perl/rpc_client.pl of the tutorials:
#   - an exclusive callback queue that the broker names (queue.declare with an empty name, exclusive 1),
#     consumed with no_ack 1; it does not declare the RPC queue;
#   - a version 4 UUID as text for each call's correlation_id; replies with another id are ignored;
#   - publishes n on the default exchange to the RPC queue with reply_to and correlation_id, the body
#     exactly as given on the command line (AnyEvent::RabbitMQ adds its defaults: content type
#     application/octet-stream, delivery mode 1, priority 1, timestamp, user id);
#   - the reply body is used as a Perl number (0 + body): "832040" is 832040, up to 2**64-1 exact, a
#     floating point value past that; "-1 INVALID_ARGUMENT: ..." is -1.
#   Differences: one connection and one callback queue for all the calls of a run (the tutorial opens
#   both anew for each call), a bounded wait, and the UUID made here from /dev/urandom rather than
#   with UUID::Tiny (same text form), so that no other package is needed.
#   Like the tutorial it leaves Nagle's algorithm on: AnyEvent::RabbitMQ writes a publish as three frames
#   and its own `nodelay` option never reaches the socket, so a call takes some 40 ms more than it must.
#
# Run (Debian: apt-get install libanyevent-rabbitmq-perl):
#   RPC_QUEUE=rpc_queue RPC_TIMEOUT=10 perl src/test/perl/rpc_client.pl 0 1 30
#
# Contract, configuration from the environment only:
#   RABBITMQ_HOST (localhost), RABBITMQ_PORT (5672), RABBITMQ_USERNAME (guest), RABBITMQ_PASSWORD (guest),
#   RABBITMQ_VHOST (/), RPC_QUEUE (rpc_queue), RPC_TIMEOUT (seconds to wait for each reply, 10).
#   One call per argument, in order; one stdout line per argument: the reply body's numeric value, or
#   "rpc-error <CODE> <numeric value of the body>" when the reply has an rpc-error header.
#   Exit status: 0 when every call got a reply (error replies included), 2 when one got none within
#   RPC_TIMEOUT (stderr says so; later arguments are not sent), 3 on any other failure (stderr says
#   which: no connection, a refused login, a reply Net::AMQP cannot decode, ...).
#
use strict;
use warnings;

use AnyEvent;
use AnyEvent::RabbitMQ;

$| = 1;

use constant {
    EXIT_TIMEOUT => 2,
    EXIT_FAILURE => 3,
};

sub setting {
    my ($name, $default) = @_;
    my $value = $ENV{$name};
    return defined $value && length $value ? $value : $default;
}

my $host     = setting('RABBITMQ_HOST', 'localhost');
my $port     = setting('RABBITMQ_PORT', 5672);
my $user     = setting('RABBITMQ_USERNAME', 'guest');
my $password = setting('RABBITMQ_PASSWORD', 'guest');
my $vhost    = setting('RABBITMQ_VHOST', '/');
my $queue    = setting('RPC_QUEUE', 'rpc_queue');
my $timeout  = setting('RPC_TIMEOUT', 10);

sub stop {
    my ($status, $what) = @_;
    print STDERR "rpc_client.pl: $what\n";
    exit $status;
}

@ARGV or stop(EXIT_FAILURE, 'usage: rpc_client.pl n...');
$timeout =~ /\A(?:\d+(?:\.\d*)?|\.\d+)\z/ && $timeout > 0
    or stop(EXIT_FAILURE, "RPC_TIMEOUT must be a positive number of seconds, not '$timeout'");

# a version 4 (random) UUID in its usual text form
sub uuid_v4 {
    open my $random, '<:raw', '/dev/urandom' or die "cannot read /dev/urandom: $!\n";
    read($random, my $bytes, 16) == 16 or die "short read from /dev/urandom\n";
    close $random;
    my @byte = unpack 'C16', $bytes;
    $byte[6] = ($byte[6] & 0x0f) | 0x40;
    $byte[8] = ($byte[8] & 0x3f) | 0x80;
    return sprintf '%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x', @byte;
}

# what a failure callback was given, as one line: a broker's close frame says its code and text
sub describe {
    my @why = @_;
    for my $item (@why) {
        if (ref $item && eval { $item->can('method_frame') }) {
            my $method = $item->method_frame;
            return defined eval { $method->reply_code }
                ? $method->reply_code . ' ' . ($method->reply_text // '')
                : ref $method;
        }
    }
    # an I/O error comes as (handle, fatal, message): the message is the last text
    my ($text) = reverse grep { defined && !ref } @why;
    return defined $text && length $text ? $text : 'no reason given';
}

sub numeric {
    my ($text) = @_;
    no warnings 'numeric';
    return 0 + ($text // '');
}

my $waiting;     # the condvar of what the program waits for now
my $broken;      # why the connection or channel went away

sub broke {
    my ($what) = @_;
    $broken //= $what;
    $waiting->send(failed => $broken) if $waiting;
}

# runs one asynchronous step and waits for its on_success (bounded): its arguments, or exit 3
sub step {
    my ($what, $start) = @_;
    stop(EXIT_FAILURE, $broken) if defined $broken;
    my $done = $waiting = AnyEvent->condvar;
    my $timer = AnyEvent->timer(after => $timeout, cb => sub { $done->send(failed => "$what: no answer within $timeout s") });
    $start->(sub { $done->send(ok => @_) }, sub { $done->send(failed => "$what: " . describe(@_)) });
    my ($outcome, @result) = $done->recv;
    undef $waiting;
    stop(EXIT_FAILURE, $result[0]) unless $outcome eq 'ok';
    return @result;
}

# A frame Net::AMQP cannot decode (a header of a type it lacks, such as a 64-bit integer 'l') dies in the
# read callback, which EV, AnyEvent's usual loop, would only print: fail the call instead of timing out.
AnyEvent::detect();    # loads the event loop now: EV sets its own $EV::DIED when it loads
{
    no warnings 'once';
    $EV::DIED = sub { (my $why = $@) =~ s/\s+\z//; broke("an event callback died: $why") };
}

my $rabbit = AnyEvent::RabbitMQ->new->load_xml_spec;
step("cannot connect to $host:$port", sub {
    my ($success, $failure) = @_;
    $rabbit->connect(
        host            => $host,
        port            => $port,
        user            => $user,
        pass            => $password,
        vhost           => $vhost,
        timeout         => $timeout,
        on_success      => $success,
        on_failure      => $failure,
        on_read_failure => sub { broke('cannot read from the broker: ' . describe(@_)) },
        on_close        => sub { broke('the broker closed the connection: ' . describe(@_)) },
    );
});

my ($channel) = step('cannot open a channel', sub {
    my ($success, $failure) = @_;
    $rabbit->open_channel(
        on_success => $success,
        on_failure => $failure,
        on_close   => sub { broke('the broker closed the channel: ' . describe(@_)) },
    );
});

my ($declared) = step('cannot declare the callback queue', sub {
    my ($success, $failure) = @_;
    $channel->declare_queue(exclusive => 1, on_success => $success, on_failure => $failure);
});
my $callback_queue = $declared->method_frame->queue;

my $call;    # the call in flight: its correlation id and the condvar its reply goes to
step("cannot consume $callback_queue", sub {
    my ($success, $failure) = @_;
    $channel->consume(
        queue      => $callback_queue,
        no_ack     => 1,
        on_success => $success,
        on_failure => $failure,
        on_cancel  => sub { broke("the broker cancelled the consumer of $callback_queue") },
        on_consume => sub {
            my ($delivery) = @_;
            my $id = $delivery->{header}->{correlation_id};
            # a reply to another call (or to none) is not ours: ignore it, as the tutorial does
            $call->{reply}->send(reply => $delivery) if $call && defined $id && $id eq $call->{id};
        },
    );
});

for my $n (@ARGV) {
    stop(EXIT_FAILURE, $broken) if defined $broken;
    my $reply = $waiting = AnyEvent->condvar;
    $call = { id => uuid_v4(), reply => $reply };
    $channel->publish(
        exchange    => '',
        routing_key => $queue,
        header      => { reply_to => $callback_queue, correlation_id => $call->{id} },
        body        => $n,
    );
    my $timer = AnyEvent->timer(after => $timeout, cb => sub { $reply->send('timeout') });
    my ($outcome, $delivery) = $reply->recv;
    undef $waiting;
    stop(EXIT_FAILURE, $delivery) if $outcome eq 'failed';
    stop(EXIT_TIMEOUT, "no reply for n=$n within $timeout s (correlation id $call->{id})")
        if $outcome eq 'timeout';

    my $body = $delivery->{body} ? $delivery->{body}->payload : '';    # no body frame when it is empty
    my $headers = $delivery->{header}->{headers};
    my $error = ref $headers eq 'HASH' ? $headers->{'rpc-error'} : undef;
    print defined $error ? "rpc-error $error " . numeric($body) : numeric($body), "\n";
}
undef $call;

# close the connection (the callback queue goes with it), but do not wait long for the broker's word
my $closed = AnyEvent->condvar;
my $close_timer = AnyEvent->timer(after => 2, cb => sub { $closed->send });
$rabbit->close(on_success => sub { $closed->send }, on_failure => sub { $closed->send });
$closed->recv;
exit 0;
