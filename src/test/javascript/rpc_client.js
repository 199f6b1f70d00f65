#!/usr/bin/env node
/*
 * A Fibonacci RPC client modelled on RabbitMQ's RPC tutorial (tutorial six) in JavaScript, written with
 * amqplib, for fibonacci-rpc's interop tests.
 *
 * It follows the tutorial's javascript-nodejs/src/rpc_client.js: the callback queue is RabbitMQ's direct
 * reply-to pseudo-queue amq.rabbitmq.reply-to, consumed with noAck before the first request is sent;
 * each request goes to the RPC queue on the default exchange with only replyTo and correlationId set, the
 * correlation id made the tutorial's way (three Math.random() strings joined), and replies are read with
 * parseInt, the tutorial's parse of numbers. Unlike the tutorial, which makes one call and sends
 * parseInt(argv[2]), it makes one call per argument on one connection, and sends each argument as given.
 *
 *   npm ci --prefix src/test/javascript
 *   node src/test/javascript/rpc_client.js n...
 *
 * Contract (shared by every language's programs in the interop tests):
 * - configuration from the environment only: RABBITMQ_HOST (localhost), RABBITMQ_PORT (5672),
 *   RABBITMQ_USERNAME (guest), RABBITMQ_PASSWORD (guest), RABBITMQ_VHOST (/), RPC_QUEUE (rpc_queue),
 *   RPC_TIMEOUT (seconds to wait for each reply, 10);
 * - for each argument, in order, one line on stdout: the parsed reply body in decimal (e.g. 832040), or
 *   "rpc-error <CODE> <parsed>" for a reply with an rpc-error header, where <parsed> is "unparseable"
 *   when parseInt gives NaN (a reply without the header whose body parseInt refuses prints
 *   "unparseable"); replies with another correlation id are ignored;
 * - exit status 0 when every call got a reply (error replies included), 2 when a reply did not come
 *   within RPC_TIMEOUT seconds, 3 on any other failure; stderr says why.
 *
 * parseInt gives a Number: a value above 2^53 comes out rounded (fib(93) prints 12200160415121877000);
 * one of 1e21 or more, which String() would print in exponent form, is printed in full digits.
 */
'use strict';

const amqp = require('amqplib');

const EXIT_TIMEOUT = 2;
const EXIT_FAILURE = 3;
const REPLY_TO = 'amq.rabbitmq.reply-to';

function generateUuid() {
    return Math.random().toString() +
        Math.random().toString() +
        Math.random().toString();
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

function exit(status, message) {
    console.error(`rpc_client: ${message}`);
    process.exit(status);
}

/** What the tutorial's parse (parseInt) makes of a body, in decimal, or "unparseable". */
function parsed(body) {
    const value = parseInt(body);
    if (Number.isNaN(value)) {
        return 'unparseable';
    }
    const text = String(value);
    return /e/.test(text) ? BigInt(value).toString() : text;
}

function headerText(value) {
    return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

function line(msg) {
    const body = msg.content.toString();
    const headers = msg.properties.headers || {};
    const error = headers['rpc-error'];
    if (error !== undefined && error !== null) {
        return `rpc-error ${headerText(error)} ${parsed(body)}`;
    }
    return parsed(body);
}

async function main() {
    const args = process.argv.slice(2);
    if (args.length === 0) {
        exit(EXIT_FAILURE, 'usage: rpc_client.js n...');
    }
    const queue = process.env.RPC_QUEUE || 'rpc_queue';
    const timeout = Number(process.env.RPC_TIMEOUT || '10');
    if (!(timeout > 0)) {
        exit(EXIT_FAILURE, `RPC_TIMEOUT must be a positive number of seconds, not ${process.env.RPC_TIMEOUT}`);
    }

    const connection = await amqp.connect(connectionOptions());
    let closing = false;
    connection.on('error', (err) => console.error(`rpc_client: connection error: ${err.message}`));
    connection.on('close', () => {
        if (!closing) {
            exit(EXIT_FAILURE, 'the broker closed the connection');
        }
    });
    const channel = await connection.createChannel();
    channel.on('error', (err) => console.error(`rpc_client: channel error: ${err.message}`));

    // the call being waited for; a reply carrying another correlation id is ignored
    let pending = null;
    await channel.consume(REPLY_TO, (msg) => {
        if (msg === null) {
            exit(EXIT_FAILURE, 'the broker cancelled the direct reply-to consumer');
        }
        if (pending !== null && msg.properties.correlationId === pending.correlationId) {
            pending.resolve(msg);
        }
    }, { noAck: true });

    for (const n of args) {
        const correlationId = generateUuid();
        let timer;
        const reply = new Promise((resolve) => {
            pending = { correlationId, resolve };
            timer = setTimeout(() => resolve(null), timeout * 1000);
        });
        channel.sendToQueue(queue, Buffer.from(n), {
            correlationId: correlationId,
            replyTo: REPLY_TO,
        });
        const msg = await reply;
        clearTimeout(timer);
        pending = null;
        if (msg === null) {
            exit(EXIT_TIMEOUT, `no reply for n=${n} within ${timeout} s (correlation id ${correlationId})`);
        }
        console.log(line(msg));
    }

    closing = true;
    await connection.close();
}

main().then(() => process.exit(0), (err) => exit(EXIT_FAILURE, err.message));
