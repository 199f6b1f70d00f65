#!/usr/bin/env python3
"""A Fibonacci RPC client in the style of RabbitMQ's RPC tutorial (tutorial six), written with pika.

Publishes each n as given (decimal text, or anything else) to the RPC queue on the default exchange, with
reply_to set to an exclusive, server-named callback queue and a fresh uuid as correlation_id, then waits for
the reply that carries that correlation id, and reads its body as the tutorial does: int(body).

    rpc_client.py [--host H] [--port P] [--user U] [--password W] [--vhost V] [--queue Q] [--timeout S] n...

Every option falls back to an environment variable (RABBITMQ_HOST, RABBITMQ_PORT, RABBITMQ_USERNAME,
RABBITMQ_PASSWORD, RABBITMQ_VHOST, RPC_QUEUE, RPC_TIMEOUT), then to the tutorial's defaults.

Prints one line per n, in order: the value as int() reads it; or, for a reply with the rpc-error header,
"rpc-error <CODE> <value>", the value as int() reads the body, "unparseable" when it cannot.
Exit status: 0 when every call got a reply (error replies too), 2 when one got none within the timeout,
3 on any other failure.
"""
import argparse
import os
import sys
import time
import uuid

import pika

EXIT_TIMEOUT = 2
EXIT_FAILURE = 3


class FibonacciRpcClient:

    def __init__(self, parameters, queue):
        self.queue = queue
        self.connection = pika.BlockingConnection(parameters)
        self.channel = self.connection.channel()
        # the broker names the callback queue; exclusive: it goes away with this connection
        declared = self.channel.queue_declare(queue='', exclusive=True)
        self.callback_queue = declared.method.queue
        self.channel.basic_consume(queue=self.callback_queue,
                                   on_message_callback=self.on_reply,
                                   auto_ack=True)
        self.correlation_id = None
        self.reply = None

    def on_reply(self, channel, method, properties, body):
        # a reply to an earlier call that timed out carries another correlation id: ignore it
        if properties.correlation_id == self.correlation_id:
            self.reply = (properties, body)

    def call(self, n, timeout):
        """The reply's rpc-error header (None for a value) and its body; TimeoutError when no reply comes in time."""
        self.correlation_id = str(uuid.uuid4())
        self.reply = None
        # like the tutorial: no content type, just reply_to and correlation_id
        self.channel.basic_publish(exchange='',
                                   routing_key=self.queue,
                                   properties=pika.BasicProperties(reply_to=self.callback_queue,
                                                                   correlation_id=self.correlation_id),
                                   body=str(n))
        deadline = time.monotonic() + timeout
        while self.reply is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f'no reply for n={n} within {timeout} s (correlation id {self.correlation_id})')
            self.connection.process_data_events(time_limit=remaining)
        properties, body = self.reply
        return (properties.headers or {}).get('rpc-error'), body

    def close(self):
        self.connection.close()


def as_the_tutorial_reads(body):
    """The tutorial's reading of a reply: int() of the body; None when int() refuses it."""
    try:
        return int(body)
    except ValueError:
        return None


def arguments():
    env = os.environ.get
    parser = argparse.ArgumentParser(description='Calls the Fibonacci RPC server once for each n.')
    parser.add_argument('--host', default=env('RABBITMQ_HOST', 'localhost'))
    parser.add_argument('--port', type=int, default=int(env('RABBITMQ_PORT', '5672')))
    parser.add_argument('--user', default=env('RABBITMQ_USERNAME', 'guest'))
    parser.add_argument('--password', default=env('RABBITMQ_PASSWORD', 'guest'))
    parser.add_argument('--vhost', default=env('RABBITMQ_VHOST', '/'))
    parser.add_argument('--queue', default=env('RPC_QUEUE', 'rpc_queue'))
    parser.add_argument('--timeout', type=float, default=float(env('RPC_TIMEOUT', '10')),
                        help='seconds to wait for each reply')
    parser.add_argument('n', nargs='+', help='the n of each call, sent as given')
    return parser.parse_args()


def main():
    args = arguments()
    parameters = pika.ConnectionParameters(host=args.host, port=args.port, virtual_host=args.vhost,
                                           credentials=pika.PlainCredentials(args.user, args.password))
    try:
        client = FibonacciRpcClient(parameters, args.queue)
    except Exception as e:
        print(f'failure: {e!r}', file=sys.stderr)
        return EXIT_FAILURE
    try:
        for n in args.n:
            error, body = client.call(n, args.timeout)
            value = as_the_tutorial_reads(body)
            if error is None:
                print(value if value is not None else 'unparseable', flush=True)
            else:
                code = error.decode() if isinstance(error, bytes) else error
                print(f'rpc-error {code} {value if value is not None else "unparseable"}', flush=True)
    except TimeoutError as e:
        print(f'timeout: {e}', file=sys.stderr)
        return EXIT_TIMEOUT
    except Exception as e:
        print(f'failure: {e!r}', file=sys.stderr)
        return EXIT_FAILURE
    finally:
        client.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
