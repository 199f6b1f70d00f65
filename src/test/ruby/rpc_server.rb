#!/usr/bin/env ruby
# frozen_string_literal: true

# A Fibonacci RPC server in the style of RabbitMQ's RPC tutorial (tutorial six) in Ruby, written with Bunny.
#
# It follows the tutorial's ruby/rpc_server.rb: the queue declared as `channel.quorum_queue` declares it
# (durable, not exclusive, not auto-delete, x-queue-type quorum), no basic.qos (the tutorial sets no
# prefetch), the body read with `to_i`, fib(n) by the tutorial's iteration, the reply published on the
# default exchange to the request's reply_to with its correlation_id and nothing else of ours (Bunny adds its
# publishing defaults, as it does for the tutorial: delivery mode 2, priority 0, content type
# application/octet-stream). Unlike the tutorial, it acknowledges each request by hand after its reply is
# published (the tutorial consumes with automatic acknowledgements).
#
#     ruby rpc_server.rb
#
# Configuration from the environment only: RABBITMQ_HOST (localhost), RABBITMQ_PORT (5672),
# RABBITMQ_USERNAME (guest), RABBITMQ_PASSWORD (guest), RABBITMQ_VHOST (/), RPC_QUEUE (rpc_queue).
#
# Prints a line starting with "ready" once it consumes, then one line per request handled; runs until killed
# (SIGTERM or SIGINT). Like the tutorial it never refuses a body: `to_i` reads "abc" as 0 and "-5" as -5,
# whose fib is 0 (the iteration runs no times), and a huge n keeps it computing for ever.
require 'bunny'

def fibonacci(value)
  a = 0
  b = 1
  value.times { a, b = b, a + b }
  a
end

def environment(name, default)
  ENV.fetch(name, default)
end

$stdout.sync = true

queue_name = environment('RPC_QUEUE', 'rpc_queue')
connection = Bunny.new(host: environment('RABBITMQ_HOST', 'localhost'),
                       port: Integer(environment('RABBITMQ_PORT', '5672')),
                       username: environment('RABBITMQ_USERNAME', 'guest'),
                       password: environment('RABBITMQ_PASSWORD', 'guest'),
                       vhost: environment('RABBITMQ_VHOST', '/'))

# SIGTERM ends the server as the tutorial's Ctrl-C (Interrupt) does
trap('TERM') { raise Interrupt }

begin
  connection.start
  channel = connection.create_channel
  # what `channel.quorum_queue(name)` declares; Bunny 2.19 (Debian's) predates that helper (Bunny 2.20)
  queue = channel.queue(queue_name, durable: true, exclusive: false, auto_delete: false,
                                    arguments: { 'x-queue-type' => 'quorum' })
  exchange = channel.default_exchange

  queue.subscribe(manual_ack: true) do |delivery_info, properties, payload|
    n = payload.to_i
    exchange.publish(fibonacci(n).to_s,
                     routing_key: properties.reply_to,
                     correlation_id: properties.correlation_id)
    channel.ack(delivery_info.delivery_tag)
    puts "fib(#{n}) for #{properties.correlation_id}"
  end

  puts "ready: awaiting RPC requests on #{queue_name}"
  # keeps the main thread alive while Bunny's consumer thread serves the requests
  loop { sleep 5 }
rescue Interrupt
  connection.close if connection.open?
end
