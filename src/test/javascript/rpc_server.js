#!/usr/bin/env node
/*
 * A Fibonacci RPC server modelled on RabbitMQ's RPC tutorial (tutorial six) in JavaScript, written with
 * amqplib, for fibonacci-rpc's interop tests.
 *
 * It follows the tutorial's javascript-nodejs/src/rpc_server.js: it declares the RPC queue as that
 * server declares rpc_queue (durable, arguments { 'x-queue-type': 'quorum' }), sets prefetch 1, consumes
 * with manual acks, parses each request body with parseInt, computes fib(n) with the tutorial's loop on
 * Numbers, and sends String(fib(n)) to the request's reply_to on the default exchange with only its
 * correlation_id set, then acks.
 *
 *   npm ci --prefix src/test/javascript
 *   node src/test/javascript/rpc_server.js
 *
 * Contract (shared by every language's programs in the interop tests):
 * - configuration from the environment only: RABBITMQ_HOST (localhost), RABBITMQ_PORT (5672),
 *   RABBITMQ_USERNAME (guest), RABBITMQ_PASSWORD (guest), RABBITMQ_VHOST (/), RPC_QUEUE (rpc_queue);
 * - prints a line starting with "ready" on stdout once it consumes, then one line per request handled;
 * - runs until killed (SIGTERM or SIGINT: it closes its connection and exits 0); exits 1 when it cannot
 *   connect or set up, or when the broker closes its connection or cancels its consumer.
 *
 * Like the tutorial's server it does not validate the body: parseInt('abc') is NaN and fib(NaN) is 0, a
 * negative n gives 0, a large n gives an inexact Number (fib(79) on) or Infinity (fib(1477) on), and a
 * very large n keeps the loop, and so the server, busy for a long time.
 */
'use strict';

const amqp = require('amqplib');

function fibonacci(n) {
    let a = 0;
    let b = 1;
    for (let i = 0; i < n; i++) {
        [a, b] = [b, a + b];
    }
    return a;
}

function connectionOptions() {
    const env = process.env;
    return {
        protocol: 'amqp',
        hostname: env.RABBITMQ_HOST || 'localhost',
        port: Number(env.RABBITMQ_PORT || '5672'),
        username: env.RABBITMQ_USERNAME || 'guest',
        password: env.RABBITMQ_PASSWORD || 'guest',
        vhost: env.RABBITMQ_VHOST || '/',
    };
}

function fail(message) {
    console.error(`rpc_server: ${message}`);
    process.exit(1);
}

async function main() {
    const queue = process.env.RPC_QUEUE || 'rpc_queue';
    const connection = await amqp.connect(connectionOptions());
    let stopping = false;
    connection.on('error', (err) => console.error(`rpc_server: connection error: ${err.message}`));
    connection.on('close', () => {
        if (!stopping) {
            fail('the broker closed the connection');
        }
    });
    const channel = await connection.createChannel();
    channel.on('error', (err) => console.error(`rpc_server: channel error: ${err.message}`));

    // as the tutorial's JavaScript server declares rpc_queue today: durable, a quorum queue
    await channel.assertQueue(queue, {
        durable: true,
        arguments: { 'x-queue-type': 'quorum' },
    });
    await channel.prefetch(1);

    await channel.consume(queue, (msg) => {
        if (msg === null) {
            fail(`the broker cancelled the consumer of ${queue}`);
        }
        const n = parseInt(msg.content.toString());
        const correlationId = msg.properties.correlationId;
        const r = fibonacci(n);
        // like the tutorial: only the correlation id, no content type, no headers
        channel.sendToQueue(msg.properties.replyTo, Buffer.from(r.toString()), {
            correlationId: correlationId,
        });
        channel.ack(msg);
        console.log(`fib(${n}) = ${r} for ${correlationId}`);
    }, { noAck: false });
    console.log(`ready: awaiting RPC requests on ${queue}`);

    const stop = () => {
        if (stopping) {
            return;
        }
        stopping = true;
        setTimeout(() => process.exit(0), 2000).unref();
        connection.close().then(() => process.exit(0), () => process.exit(0));
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
}

main().catch((err) => fail(err.message));
