<?php

/*
 * A Fibonacci RPC client in the style of RabbitMQ's RPC tutorial (tutorial six) in PHP, written with
 * php-amqplib.
 *
 * It follows the tutorial's php/rpc_client.php: a server-named exclusive callback queue
 * (queue_declare("", false, false, true, false)) consumed with automatic acknowledgements, each request
 * published on the default exchange with correlation_id and reply_to and no other property, the correlation
 * id made with uniqid() as the tutorial does, replies of other correlation ids ignored, the reply body read
 * with intval. Unlike the tutorial, each n is published as given, a call waits at most RPC_TIMEOUT seconds,
 * a reply is awaited until one arrives rather than while the body is falsy (the tutorial's loop would never
 * end on the reply "0" of fib(0)), and correlation ids are compared strictly (===) and only when present.
 *
 *     php rpc_client.php n...
 *
 * php-amqplib is loaded from composer's vendor/autoload.php next to this file if there is one (as in the
 * tutorial), else from Debian's php-amqplib package, PhpAmqpLib/autoload.php on the include path
 * (/usr/share/php).
 *
 * Configuration from the environment only: RABBITMQ_HOST (localhost), RABBITMQ_PORT (5672),
 * RABBITMQ_USERNAME (guest), RABBITMQ_PASSWORD (guest), RABBITMQ_VHOST (/), RPC_QUEUE (rpc_queue),
 * RPC_TIMEOUT (seconds to wait for each reply, 10).
 *
 * One line per n, in order, on stdout: the reply body's intval (e.g. 832040; PHP integers saturate, so
 * fib(93) = 12200160415121876738 prints 9223372036854775807), or, for a reply with an rpc-error header,
 * "rpc-error <CODE> <intval of the body>" (our error bodies "-1 <CODE>: ..." give -1; intval never fails, so
 * "unparseable" is never printed).
 * Exit status: 0 when every call got a reply (error replies included); 2 when a reply did not come within
 * RPC_TIMEOUT (said on stderr; the later n are not sent); 3 on any other failure (said on stderr).
 */

if (is_file(__DIR__ . '/vendor/autoload.php')) {
    require_once __DIR__ . '/vendor/autoload.php';
} else {
    require_once 'PhpAmqpLib/autoload.php';
}

use PhpAmqpLib\Connection\AMQPStreamConnection;
use PhpAmqpLib\Exception\AMQPTimeoutException;
use PhpAmqpLib\Message\AMQPMessage;

const EXIT_TIMEOUT = 2;
const EXIT_FAILURE = 3;

class RpcTimeout extends \RuntimeException
{
}

class FibonacciRpcClient
{
    private $channel;
    private $queue;
    private $callbackQueue;
    private $correlationId;
    private $response;

    public function __construct(AMQPStreamConnection $connection, string $queue)
    {
        $this->queue = $queue;
        $this->channel = $connection->channel();
        // the broker names it; exclusive: it goes away with this connection
        list($this->callbackQueue, ,) = $this->channel->queue_declare('', false, false, true, false);
        $this->channel->basic_consume($this->callbackQueue, '', false, true, false, false, [$this, 'onResponse']);
    }

    public function onResponse(AMQPMessage $reply)
    {
        // a late reply to an earlier call that timed out carries another correlation id: ignored
        if ($reply->has('correlation_id') && $reply->get('correlation_id') === $this->correlationId) {
            $this->response = $reply;
        }
    }

    /** The reply to n, published as given; throws RpcTimeout when it does not come in time. */
    public function call(string $n, float $timeout): AMQPMessage
    {
        $this->response = null;
        $this->correlationId = uniqid();
        $request = new AMQPMessage($n, [
            'correlation_id' => $this->correlationId,
            'reply_to' => $this->callbackQueue,
        ]);
        $this->channel->basic_publish($request, '', $this->queue);
        $deadline = microtime(true) + $timeout;
        while ($this->response === null) {
            $remaining = $deadline - microtime(true);
            if ($remaining <= 0) {
                throw new RpcTimeout("no reply for n=$n within $timeout s (correlation id {$this->correlationId})");
            }
            try {
                $this->channel->wait(null, false, $remaining);
            } catch (AMQPTimeoutException $e) {
                // the loop sees the deadline passed
            }
        }
        return $this->response;
    }
}

function environment(string $name, string $default): string
{
    $value = getenv($name);
    return $value === false ? $default : $value;
}

function rpcError(AMQPMessage $reply)
{
    if (!$reply->has('application_headers')) {
        return null;
    }
    $headers = $reply->get('application_headers')->getNativeData();
    return $headers['rpc-error'] ?? null;
}

function main(array $arguments): int
{
    if (count($arguments) === 0) {
        fwrite(STDERR, "usage: rpc_client.php n...\n");
        return EXIT_FAILURE;
    }
    $connection = null;
    try {
        $timeout = environment('RPC_TIMEOUT', '10');
        if (!is_numeric($timeout)) {
            throw new \InvalidArgumentException("RPC_TIMEOUT is not a number of seconds: $timeout");
        }
        $connection = new AMQPStreamConnection(
            environment('RABBITMQ_HOST', 'localhost'),
            (int) environment('RABBITMQ_PORT', '5672'),
            environment('RABBITMQ_USERNAME', 'guest'),
            environment('RABBITMQ_PASSWORD', 'guest'),
            environment('RABBITMQ_VHOST', '/')
        );
        $client = new FibonacciRpcClient($connection, environment('RPC_QUEUE', 'rpc_queue'));
        foreach ($arguments as $n) {
            $reply = $client->call($n, (float) $timeout);
            $value = intval($reply->getBody());
            $error = rpcError($reply);
            echo $error === null ? $value : "rpc-error $error $value", "\n";
        }
        return 0;
    } catch (RpcTimeout $e) {
        fwrite(STDERR, 'timeout: ' . $e->getMessage() . "\n");
        return EXIT_TIMEOUT;
    } catch (\Throwable $e) {
        fwrite(STDERR, 'failure: ' . get_class($e) . ': ' . $e->getMessage() . "\n");
        return EXIT_FAILURE;
    } finally {
        if ($connection !== null) {
            try {
                $connection->close();
            } catch (\Throwable $ignored) {
                // the connection may be gone already
            }
        }
    }
}

exit(main(array_slice($argv, 1)));
