// A Fibonacci RPC server modelled on RabbitMQ's RPC tutorial (tutorial six) in Go, written with
// amqp091-go, for fibonacci-rpc's interop tests.
//
// It follows the tutorial's go/rpc_server.go: it declares the RPC queue as that server declares
// rpc_queue (durable, not auto-deleted, not exclusive, arguments x-queue-type=quorum), sets Qos(1, 0,
// false), consumes with manual acks, parses each request body with strconv.Atoi, computes fib(n) with
// the tutorial's loop on int, and publishes strconv.Itoa(fib(n)) to the request's reply_to on the
// default exchange with content type text/plain and the request's correlation id, then acks.
//
// Build (GOPATH mode, with Debian's golang-github-rabbitmq-amqp091-go-dev), from the project root:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -trimpath -o target/go-tutorial/rpc_server ./src/test/go/rpc_server
//	target/go-tutorial/rpc_server
//
// Contract (shared by every language's programs in the interop tests):
//   - configuration from the environment only: RABBITMQ_HOST (localhost), RABBITMQ_PORT (5672),
//     RABBITMQ_USERNAME (guest), RABBITMQ_PASSWORD (guest), RABBITMQ_VHOST (/), RPC_QUEUE (rpc_queue);
//   - prints a line starting with "ready" on stdout once it consumes, then one line per request handled;
//   - runs until killed (SIGTERM or SIGINT: it closes its connection and exits 0); exits 1 when it cannot
//     connect or set up, or when the broker closes its connection or cancels its consumer.
//
// Like the tutorial's server it panics (exit status 2) on a body strconv.Atoi refuses, such as "abc",
// before acking it, so the request goes back to the queue for the next consumer; a negative n gives 0,
// an n above 92 gives an overflowed int, and a very large n keeps the loop busy for a long time.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func failOnError(err error, msg string) {
	if err != nil {
		log.Panicf("%s: %s", msg, err)
	}
}

func fib(n int) int {
	a, b := 0, 1
	for i := 0; i < n; i++ {
		a, b = b, a+b
	}
	return a
}

func env(name, fallback string) string {
	if value, ok := os.LookupEnv(name); ok && value != "" {
		return value
	}
	return fallback
}

func dial() (*amqp.Connection, error) {
	address := "amqp://" + net.JoinHostPort(env("RABBITMQ_HOST", "localhost"), env("RABBITMQ_PORT", "5672")) + "/"
	return amqp.DialConfig(address, amqp.Config{
		SASL:  []amqp.Authentication{&amqp.PlainAuth{Username: env("RABBITMQ_USERNAME", "guest"), Password: env("RABBITMQ_PASSWORD", "guest")}},
		Vhost: env("RABBITMQ_VHOST", "/"),
	})
}

func exit(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "rpc_server: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	queue := env("RPC_QUEUE", "rpc_queue")
	conn, err := dial()
	if err != nil {
		exit("failed to connect to RabbitMQ: %s", err)
	}
	ch, err := conn.Channel()
	if err != nil {
		exit("failed to open a channel: %s", err)
	}

	// as the tutorial's Go server declares rpc_queue today: durable, a quorum queue
	// (amqp.QueueTypeArg and amqp.QueueTypeQuorum, which the tutorial uses, came after amqp091-go 1.5.0)
	q, err := ch.QueueDeclare(
		queue, // name
		true,  // durability
		false, // delete when unused
		false, // exclusive
		false, // no-wait
		amqp.Table{"x-queue-type": "quorum"},
	)
	if err != nil {
		exit("failed to declare queue %s: %s", queue, err)
	}
	if err = ch.Qos(1, 0, false); err != nil {
		exit("failed to set QoS: %s", err)
	}
	msgs, err := ch.Consume(
		q.Name, // queue
		"",     // consumer
		false,  // auto-ack
		false,  // exclusive
		false,  // no-local
		false,  // no-wait
		nil,    // args
	)
	if err != nil {
		exit("failed to register a consumer: %s", err)
	}

	stopping := make(chan struct{})
	go func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
		<-signals
		close(stopping)
		time.AfterFunc(2*time.Second, func() { os.Exit(0) }) // should the broker not answer the close
		conn.Close()
		os.Exit(0)
	}()

	fmt.Printf("ready: awaiting RPC requests on %s\n", q.Name)
	for d := range msgs {
		n, err := strconv.Atoi(string(d.Body))
		failOnError(err, "Failed to convert body to integer")

		response := fib(n)

		// one timeout per reply (the tutorial makes one 5 s context for all of them)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = ch.PublishWithContext(ctx,
			"",        // exchange
			d.ReplyTo, // routing key
			false,     // mandatory
			false,     // immediate
			amqp.Publishing{
				ContentType:   "text/plain",
				CorrelationId: d.CorrelationId,
				Body:          []byte(strconv.Itoa(response)),
			})
		cancel()
		failOnError(err, "Failed to publish a message")

		d.Ack(false)
		fmt.Printf("fib(%d) = %d for %s\n", n, response, d.CorrelationId)
	}

	// the deliveries end when the channel or connection closes, or the broker cancels the consumer
	select {
	case <-stopping:
		select {} // the signal handler exits
	default:
		exit("the deliveries from %s ended: the broker closed the channel or cancelled the consumer", queue)
	}
}
