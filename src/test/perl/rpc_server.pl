#!/usr/bin/perl
#
# rpc_server.pl - a Fibonacci RPC server in the style of RabbitMQ's RPC tutorial (tutorial six) for Perl,
# written with AnyEvent::RabbitMQ (the library under the tutorial's Net::RabbitFoot, on the same Net::AMQP
# frame decoding).
#
# Follows perl/rpc_server.pl of the tutorials:
#   - declares the RPC queue with no arguments: non-durable, non-exclusive, no auto-delete, a classic queue;
#   - prefetch 1 (basic.qos prefetch_count 1);
#   - takes the body as it comes and lets Perl's numeric conversion read it (`1 .. $n`): "30" is 30,
#     "abc", "" and "-5" give fib 0, "3.7" is 3, "12abc" is 12 (Perl warns on stderr about non-numbers);
#   - fib by the tutorial's loop, in Perl numbers: exact up to fib(93), a floating point value after;
#   - replies on the default exchange to reply_to, with the request's correlation_id and nothing else of
#     its own (AnyEvent::RabbitMQ adds its defaults: content type application/octet-stream, delivery mode 1,
#     priority 1, timestamp, user id), then acknowledges the request.
#   Differences: this server consumes with manual acks (no_ack 0) and acks each delivery by its tag.
#   The tutorial calls consume() without no_ack, which AnyEvent::RabbitMQ defaults to 1 (auto-ack), so
#   its ack() (tag 0, multiple) acknowledges nothing and its prefetch has no effect. It names the queue it
#   consumes (the tutorial names none and gets the channel's last declared queue), and it stops on a frame
#   it cannot decode instead of going deaf (see $EV::DIED below).
#   Like the tutorial it leaves Nagle's algorithm on (AnyEvent::RabbitMQ's `nodelay` option never reaches
#   the socket), which adds some 40 ms to a reply.
#
# Run (Debian: apt-get install libanyevent-rabbitmq-perl):
#   RPC_QUEUE=rpc_queue perl src/test/perl/rpc_server.pl
#
# Contract, configuration from the environment only:
#   RABBITMQ_HOST (localhost), RABBITMQ_PORT (5672), RABBITMQ_USERNAME (guest), RABBITMQ_PASSWORD (guest),
#   RABBITMQ_VHOST (/), RPC_QUEUE (rpc_queue).
#   Prints a line starting with "ready" on stdout (flushed) once it consumes, then one line per request
#   ("fib(<body>) = <value> for <correlation id> headers: <name=value, ...>"). Runs until killed; exits 1
#   when the broker refuses it (a 406 on the declaration, bad credentials), the connection goes away, or a
#   frame cannot be decoded (Net::AMQP 0.06 reads no 64-bit integer, 'l', in a header table).
#
use strict;
use warnings;

use AnyEvent;
use AnyEvent::RabbitMQ;

$| = 1;

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

# the tutorial's loop; $n is whatever the body was, the range operator makes a number of it
sub fib {
    my ($n) = @_;
    my ($current, $next) = (0, 1);
    for (1 .. $n) {
        ($current, $next) = ($next, $current + $next);
    }
    return $current;
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

sub show_headers {
    my ($headers) = @_;
    return '(none)' unless ref $headers eq 'HASH' && %$headers;
    return join ', ', map {
        my $value = $headers->{$_};
        "$_=" . (!defined $value ? '(void)' : ref $value ? ref $value : $value)
    } sort keys %$headers;
}

my $stopped = AnyEvent->condvar;    # gets the exit status

sub fail {
    my ($what) = @_;
    print STDERR "rpc_server.pl: $what\n";
    $stopped->send(1);
}

sub on_request {
    my ($channel, $delivery) = @_;
    my $body = $delivery->{body} ? $delivery->{body}->payload : '';    # no body frame when it is empty
    my $properties = $delivery->{header};
    my $correlation_id = $properties->{correlation_id};

    my $n = $body;
    my $value = fib($n);
    print "fib($n) = $value for ", $correlation_id // '(no correlation id)',
        ' headers: ', show_headers($properties->{headers}), "\n";

    $channel->publish(
        exchange    => '',
        routing_key => $properties->{reply_to} // '',
        header      => { correlation_id => $correlation_id },
        body        => $value,
    );
    $channel->ack(delivery_tag => $delivery->{deliver}->method_frame->delivery_tag);
}

sub serve {
    my ($channel) = @_;
    $channel->declare_queue(
        queue      => $queue,
        on_failure => sub { fail("cannot declare $queue: " . describe(@_)) },
        on_success => sub {
            $channel->qos(
                prefetch_count => 1,
                on_failure     => sub { fail('basic.qos failed: ' . describe(@_)) },
                on_success     => sub {
                    $channel->consume(
                        queue      => $queue,
                        no_ack     => 0,
                        on_consume => sub { on_request($channel, @_) },
                        on_cancel  => sub { fail("the broker cancelled the consumer of $queue") },
                        on_failure => sub { fail("cannot consume $queue: " . describe(@_)) },
                        on_success => sub { print "ready: awaiting RPC requests on $queue\n" },
                    );
                },
            );
        },
    );
}

# A frame Net::AMQP cannot decode (a header of a type it lacks, such as a 64-bit integer 'l') dies in the
# read callback. EV, AnyEvent's usual loop, would print that and go on, leaving the server alive but deaf
# with the request unacknowledged; stop instead, so that the failure shows.
AnyEvent::detect();    # loads the event loop now: EV sets its own $EV::DIED when it loads
{
    no warnings 'once';
    $EV::DIED = sub { (my $why = $@) =~ s/\s+\z//; fail("an event callback died: $why") };
}

my $rabbit = AnyEvent::RabbitMQ->new->load_xml_spec;
$rabbit->connect(
    host            => $host,
    port            => $port,
    user            => $user,
    pass            => $password,
    vhost           => $vhost,
    timeout         => 10,
    on_failure      => sub { fail("cannot connect to $host:$port: " . describe(@_)) },
    on_read_failure => sub { fail('cannot read from the broker: ' . describe(@_)) },
    on_close        => sub { fail('the broker closed the connection: ' . describe(@_)) },
    on_success      => sub {
        my ($connection) = @_;
        $connection->open_channel(
            on_failure => sub { fail('cannot open a channel: ' . describe(@_)) },
            on_close   => sub { fail('the broker closed the channel: ' . describe(@_)) },
            on_success => \&serve,
        );
    },
);

exit $stopped->recv;
