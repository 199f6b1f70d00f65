#!/usr/bin/env ruby
# frozen_string_literal: true

# A Fibonacci RPC client in the style of RabbitMQ's RPC tutorial (tutorial six) in Ruby, written with Bunny.
#
# It follows the tutorial's ruby/rpc_client.rb: a connection without automatic recovery, a server-named
# exclusive callback queue (`channel.queue('', exclusive: true)`) consumed with automatic acknowledgements,
# each request published on the default exchange with reply_to and correlation_id only (Bunny adds its
# publishing defaults, as it does for the tutorial), the correlation id made as the tutorial makes it (three
# `rand` floats as text), replies of other correlation ids ignored, the reply body read with `to_i`.
# Unlike the tutorial, each n is published as given (the tutorial sends `ARGV[0].to_i`) and a call waits
# at most RPC_TIMEOUT seconds.
#
#     ruby rpc_client.rb n...
#
# Configuration from the environment only: RABBITMQ_HOST (localhost), RABBITMQ_PORT (5672),
# RABBITMQ_USERNAME (guest), RABBITMQ_PASSWORD (guest), RABBITMQ_VHOST (/), RPC_QUEUE (rpc_queue),
# RPC_TIMEOUT (seconds to wait for each reply, 10).
#
# One line per n, in order, on stdout: the reply body's `to_i` (e.g. 832040), or, for a reply with an
# rpc-error header, "rpc-error <CODE> <to_i of the body>" (our error bodies "-1 <CODE>: ..." give -1;
# `to_i` never fails, so "unparseable" is never printed).
# Exit status: 0 when every call got a reply (error replies included); 2 when a reply did not come within
# RPC_TIMEOUT (said on stderr; the later n are not sent); 3 on any other failure (said on stderr).
require 'bunny'

EXIT_TIMEOUT = 2
EXIT_FAILURE = 3

class RpcTimeout < StandardError; end

class FibonacciClient
  def initialize(connection, server_queue_name)
    @server_queue_name = server_queue_name
    @channel = connection.create_channel
    @exchange = @channel.default_exchange
    @lock = Mutex.new
    @condition = ConditionVariable.new
    @call_id = nil
    @reply = nil
    # the broker names it; exclusive: it goes away with this connection
    @reply_queue = @channel.queue('', exclusive: true)
    @reply_queue.subscribe do |_delivery_info, properties, payload|
      @lock.synchronize do
        # a late reply to an earlier call that timed out carries another correlation id: ignored
        if properties[:correlation_id] == @call_id
          @reply = [properties, payload]
          @condition.signal
        end
      end
    end
  end

  # [headers, body] of the reply to n, published as given; raises RpcTimeout when it does not come in time
  def call(n, timeout)
    @lock.synchronize do
      @call_id = generate_uuid
      @reply = nil
      @exchange.publish(n,
                        routing_key: @server_queue_name,
                        correlation_id: @call_id,
                        reply_to: @reply_queue.name)
      deadline = monotonic + timeout
      while @reply.nil?
        remaining = deadline - monotonic
        raise RpcTimeout, "no reply for n=#{n} within #{timeout} s (correlation id #{@call_id})" if remaining <= 0

        @condition.wait(@lock, remaining)
      end
      properties, payload = @reply
      [properties.headers || {}, payload]
    end
  end

  private

  def monotonic
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  # the tutorial's: "very naive but good enough for code examples"
  def generate_uuid
    "#{rand}#{rand}#{rand}"
  end
end

def environment(name, default)
  ENV.fetch(name, default)
end

def main(arguments)
  if arguments.empty?
    warn 'usage: rpc_client.rb n...'
    return EXIT_FAILURE
  end
  timeout = Float(environment('RPC_TIMEOUT', '10'))
  connection = Bunny.new(host: environment('RABBITMQ_HOST', 'localhost'),
                         port: Integer(environment('RABBITMQ_PORT', '5672')),
                         username: environment('RABBITMQ_USERNAME', 'guest'),
                         password: environment('RABBITMQ_PASSWORD', 'guest'),
                         vhost: environment('RABBITMQ_VHOST', '/'),
                         automatically_recover: false)
  connection.start
  begin
    client = FibonacciClient.new(connection, environment('RPC_QUEUE', 'rpc_queue'))
    arguments.each do |n|
      headers, body = client.call(n, timeout)
      error = headers['rpc-error']
      puts error.nil? ? body.to_i.to_s : "rpc-error #{error} #{body.to_i}"
    end
  ensure
    connection.close if connection.open?
  end
  0
rescue RpcTimeout => e
  warn "timeout: #{e.message}"
  EXIT_TIMEOUT
rescue StandardError => e
  warn "failure: #{e.class}: #{e.message}"
  EXIT_FAILURE
end

$stdout.sync = true
exit main(ARGV)
