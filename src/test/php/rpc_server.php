<?php

/*
 * A Fibonacci RPC server in the style of RabbitMQ's RPC tutorial (tutorial six) in PHP, written with
 * php-amqplib.
 *
 * It follows the tutorial's php/rpc_server.php: the queue declared durable, not exclusive, not auto-delete,
 * with x-queue-type quorum; basic_qos prefetch 1; consumed with manual acknowledgements; the body read with
 * intval; fib(n) by the tutorial's iteration; the reply published on the default exchange to the request's
 * reply_to with its correlation_id and no other property, then the request acknowledged.
 *
 *     php rpc_server.php
 *
 * php-amqplib is loaded from composer's vendor/autoload.php next to this file if there is one (as in the
 * tutorial), else from Debian's php-amqplib package, PhpAmqpLib/autoload.php on the include path
 * (/usr/share/php).
 *
 * Configuration from the environment only: RABBITMQ_HOST (localhost), RABBITMQ_PORT (5672),
 * RABBITMQ_USERNAME (guest), RABBITMQ_PASSWORD (guest), RABBITMQ_VHOST (/), RPC_QUEUE (rpc_queue).
 *
 * Prints a line starting with "ready" once it consumes, then one line per request handled; runs until killed
 * (SIGTERM or SIGINT). Like the tutorial it never refuses a body: intval reads "abc" as 0 and "-5" as -5,
 * whose fib is 0; past fib(92) PHP's integers overflow into floats, so the reply of 93 is
 * "1.2200160415122E+19" and of 1477 and beyond "INF"; an n as large as PHP_INT_MAX keeps it computing for
 * ever. A request without reply_to or correlation_id makes AMQPMessage::get throw, which ends the
 * consumption as in the tutorial: the message is printed (on stderr here) and the server exits (status 1).
 */

if (is_file(__DIR__ . '/vendor/autoload.php')) {
    require_once __DIR__ . '/vendor/autoload.php';
} else {
    require_once 'PhpAmqpLib/autoload.php';
}

use PhpAmqpLib\Connection\AMQPStreamConnection;
use PhpAmqpLib\Message\AMQPMessage;
use PhpAmqpLib\Wire\AMQPTable;

function environment(string $name, string $default): string
{
    $value = getenv($name);
    return $value === false ? $default : $value;
}

function fib($n)
{
    $a = 0;
    $b = 1;
    for ($i = 0; $i < $n; $i++) {
        [$a, $b] = [$b, $a + $b];
    }
    return $a;
}

$queue = environment('RPC_QUEUE', 'rpc_queue');
$connection = new AMQPStreamConnection(
    environment('RABBITMQ_HOST', 'localhost'),
    (int) environment('RABBITMQ_PORT', '5672'),
    environment('RABBITMQ_USERNAME', 'guest'),
    environment('RABBITMQ_PASSWORD', 'guest'),
    environment('RABBITMQ_VHOST', '/')
);
$channel = $connection->channel();

// as the tutorial's PHP server declares rpc_queue today: durable, a quorum queue
$channel->queue_declare($queue, false, true, false, false, false, new AMQPTable(['x-queue-type' => 'quorum']));

$onRequest = function (AMQPMessage $request) {
    $n = intval($request->getBody());
    $correlationId = $request->get('correlation_id');
    $reply = new AMQPMessage((string) fib($n), ['correlation_id' => $correlationId]);
    $request->getChannel()->basic_publish($reply, '', $request->get('reply_to'));
    $request->ack();
    echo 'fib(', $n, ') for ', $correlationId, "\n";
};

$channel->basic_qos(null, 1, false);
$channel->basic_consume($queue, '', false, false, false, false, $onRequest);
echo 'ready: awaiting RPC requests on ', $queue, "\n";

$status = 0;
try {
    $channel->consume();
} catch (\Throwable $exception) {
    fwrite(STDERR, get_class($exception) . ': ' . $exception->getMessage() . "\n");
    $status = 1;
}

try {
    $channel->close();
    $connection->close();
} catch (\Throwable $ignored) {
    // the connection may be gone already
}
exit($status);
