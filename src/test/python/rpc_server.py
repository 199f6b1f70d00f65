#!/usr/bin/env python3
"""A Fibonacci RPC server in the style of RabbitMQ's RPC tutorial (tutorial six), written with pika.

Consumes the RPC queue one request at a time (prefetch 1), computes fib(n) with the tutorial's naive
recursion, publishes the value as decimal text to the request's reply_to with its correlation_id, then
acknowledges the request. Runs until killed; prints a line starting with "ready" once it consumes.

    rpc_server.py [--host H] [--port P] [--user U] [--password W] [--vhost V] [--queue Q] [--declare D]

Every option falls back to an environment variable (RABBITMQ_HOST, RABBITMQ_PORT, RABBITMQ_USERNAME,
RABBITMQ_PASSWORD, RABBITMQ_VHOST, RPC_QUEUE, RPC_DECLARE), then to the tutorial's defaults. --declare says
which of the tutorial's declarations of the queue to make: 'today' (durable, a quorum queue, as the tutorial
declares it now) or 'legacy' (no arguments: non-durable classic, as it did before). A declaration the broker
refuses (406: the queue exists with other arguments) ends the server, as it ends the tutorial's.
"""
import argparse
import os

import pika


def fib(n):
    if n == 0:
        return 0
    if n == 1:
        return 1
    return fib(n - 1) + fib(n - 2)


def on_request(channel, method, properties, body):
    n = int(body)
    print(f'fib({n}) for {properties.correlation_id}', flush=True)
    channel.basic_publish(exchange='',
                          routing_key=properties.reply_to,
                          properties=pika.BasicProperties(correlation_id=properties.correlation_id),
                          body=str(fib(n)))
    channel.basic_ack(delivery_tag=method.delivery_tag)


def arguments():
    env = os.environ.get
    parser = argparse.ArgumentParser(description='Serves Fibonacci RPC requests until killed.')
    parser.add_argument('--host', default=env('RABBITMQ_HOST', 'localhost'))
    parser.add_argument('--port', type=int, default=int(env('RABBITMQ_PORT', '5672')))
    parser.add_argument('--user', default=env('RABBITMQ_USERNAME', 'guest'))
    parser.add_argument('--password', default=env('RABBITMQ_PASSWORD', 'guest'))
    parser.add_argument('--vhost', default=env('RABBITMQ_VHOST', '/'))
    parser.add_argument('--queue', default=env('RPC_QUEUE', 'rpc_queue'))
    parser.add_argument('--declare', choices=('today', 'legacy'), default=env('RPC_DECLARE', 'today'))
    return parser.parse_args()


def main():
    args = arguments()
    parameters = pika.ConnectionParameters(host=args.host, port=args.port, virtual_host=args.vhost,
                                           credentials=pika.PlainCredentials(args.user, args.password))
    connection = pika.BlockingConnection(parameters)
    channel = connection.channel()
    if args.declare == 'today':
        # as the tutorial's Python server declares it today: durable, a quorum queue
        channel.queue_declare(queue=args.queue, durable=True, arguments={'x-queue-type': 'quorum'})
    else:
        # as it did before: no arguments, a non-durable classic queue
        channel.queue_declare(queue=args.queue)
    channel.basic_qos(prefetch_count=1)
    channel.basic_consume(queue=args.queue, on_message_callback=on_request)
    print(f'ready: awaiting RPC requests on {args.queue}', flush=True)
    channel.start_consuming()


if __name__ == '__main__':
    main()
