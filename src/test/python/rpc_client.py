#!/usr/bin/env python3
"""A Fibonacci RPC client in the style of RabbitMQ's RPC tutorial (tutorial six), written with pika.

Publishes each n as decimal text to the RPC queue on the default exchange, with reply_to set to an
exclusive, server-named callback queue and a fresh uuid as correlation_id, then waits for the reply that
carries that correlation id. Prints one result per line, in the order of the arguments.

    rpc_client.py [--host H] [--port P] [--user U] [--password W] [--vhost V] [--queue Q] [--timeout S] n...

Every option falls back to an environment variable (RABBITMQ_HOST, RABBITMQ_PORT, RABBITMQ_USERNAME,
RABBITMQ_PASSWORD, RABBITMQ_VHOST, RPC_QUEUE, RPC_TIMEOUT), then to the tutorial's defaults.

Exit status: 0 when every call got a value, 1 on an error reply (rpc-error header), 2 when no reply came
within the timeout.
"""
import argparse
import os
import sys
import time
import uuid

import pika

EXIT_ERROR_REPLY = 1
EXIT_TIMEOUT = 2


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
        """fib(n) as text; raises RpcError on an error reply, TimeoutError when no reply comes in time."""
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
        error = (properties.headers or {}).get('rpc-error')
        if error is not None:
            raise RpcError(error, body.decode('utf-8', errors='replace'))
        return body.decode('utf-8')

    def close(self):
        self.connection.close()


class RpcError(Exception):

    def __init__(self, code, message):
        super().__init__(f'{code}: {message}')


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
    client = FibonacciRpcClient(parameters, args.queue)
    try:
        for n in args.n:
            print(client.call(n, args.timeout), flush=True)
    except RpcError as e:
        print(f'error reply: {e}', file=sys.stderr)
        return EXIT_ERROR_REPLY
    except TimeoutError as e:
        print(f'timeout: {e}', file=sys.stderr)
        return EXIT_TIMEOUT
    finally:
        client.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
