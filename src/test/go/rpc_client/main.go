// A Fibonacci RPC client modelled on RabbitMQ's RPC tutorial (tutorial six) in Go, written with
// amqp091-go, for fibonacci-rpc's interop tests.
//
// It follows the tutorial's go/rpc_client.go: the callback queue is a server-named, exclusive,
// non-durable queue declared with no arguments and consumed with auto-ack; each request goes to the RPC
// queue on the default exchange with content type text/plain, reply_to and a correlation id of 32
// random capital letters made the tutorial's way; replies are read with strconv.Atoi. Unlike the
// tutorial, which opens a connection and a callback queue for its one call and sends
// strconv.Itoa(Atoi(argument)), it makes one call per argument on one connection and one callback
// queue, and sends each argument as given.
//
// Build (GOPATH mode, with Debian's golang-github-rabbitmq-amqp091-go-dev), from the project root:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -trimpath -o target/go-tutorial/rpc_client ./src/test/go/rpc_client
//	target/go-tutorial/rpc_client n...
//
// Contract (shared by every language's programs in the interop tests):
//   - configuration from the environment only: RABBITMQ_HOST (localhost), RABBITMQ_PORT (5672),
//     RABBITMQ_USERNAME (guest), RABBITMQ_PASSWORD (guest), RABBITMQ_VHOST (/), RPC_QUEUE (rpc_queue),
//     RPC_TIMEOUT (seconds to wait for each reply, 10);
//   - for each argument, in order, one line on stdout: the reply body as strconv.Atoi reads it, in
//     decimal (e.g. 832040), or "rpc-error <CODE> <parsed>" for a reply with an rpc-error header;
//     <parsed> is "unparseable" where Atoi fails (it does on "-1 INVALID_ARGUMENT: ..."), and a reply
//     without the header whose body Atoi refuses (fib(93) and above do not fit an int64) prints "unparseable",
//     with the reason on stderr; replies with another correlation id are ignored;
//   - exit status 0 when every call got a reply (error replies included), 2 when a reply did not come
//     within RPC_TIMEOUT seconds, 3 on any other failure; stderr says why.
package main

import (
	"context"
	"fmt"
	"math/rand"
	"net"
	"os"
	"strconv"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

const (
	exitTimeout = 2
	exitFailure = 3
)

func randomString(l int) string {
	bytes := make([]byte, l)
	for i := 0; i < l; i++ {
		bytes[i] = byte(randInt(65, 90))
	}
	return string(bytes)
}

func randInt(min int, max int) int {
	return min + rand.Intn(max-min)
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

func exit(status int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "rpc_client: "+format+"\n", args...)
	os.Exit(status)
}

// parsed is what the tutorial's parse (strconv.Atoi) makes of a body, in decimal, or "unparseable".
func parsed(body []byte) string {
	n, err := strconv.Atoi(string(body))
	if err != nil {
		fmt.Fprintf(os.Stderr, "rpc_client: reply body unparseable: %s\n", err)
		return "unparseable"
	}
	return strconv.Itoa(n)
}

func line(d amqp.Delivery) string {
	code, found := d.Headers["rpc-error"]
	if !found || code == nil {
		return parsed(d.Body)
	}
	var text string
	switch v := code.(type) {
	case string:
		text = v
	case []byte:
		text = string(v)
	default:
		text = fmt.Sprint(v)
	}
	return fmt.Sprintf("rpc-error %s %s", text, parsed(d.Body))
}

func main() {
	args := os.Args[1:]
	if len(args) == 0 {
		exit(exitFailure, "usage: rpc_client n...")
	}
	queue := env("RPC_QUEUE", "rpc_queue")
	timeoutText := env("RPC_TIMEOUT", "10")
	seconds, err := strconv.ParseFloat(timeoutText, 64)
	if err != nil || !(seconds > 0) {
		exit(exitFailure, "RPC_TIMEOUT must be a positive number of seconds, not %q", timeoutText)
	}
	timeout := time.Duration(seconds * float64(time.Second))

	rand.Seed(time.Now().UTC().UnixNano())

	conn, err := dial()
	if err != nil {
		exit(exitFailure, "failed to connect to RabbitMQ: %s", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		exit(exitFailure, "failed to open a channel: %s", err)
	}

	// the broker names the callback queue; exclusive: it goes away with this connection
	q, err := ch.QueueDeclare(
		"",    // name
		false, // durability
		false, // delete when unused
		true,  // exclusive
		false, // noWait
		nil,   // arguments
	)
	if err != nil {
		exit(exitFailure, "failed to declare the callback queue: %s", err)
	}
	msgs, err := ch.Consume(
		q.Name, // queue
		"",     // consumer
		true,   // auto-ack
		false,  // exclusive
		false,  // no-local
		false,  // no-wait
		nil,    // args
	)
	if err != nil {
		exit(exitFailure, "failed to register a consumer: %s", err)
	}

	for _, n := range args {
		corrID := randomString(32)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = ch.PublishWithContext(ctx,
			"",    // exchange
			queue, // routing key
			false, // mandatory
			false, // immediate
			amqp.Publishing{
				ContentType:   "text/plain",
				CorrelationId: corrID,
				ReplyTo:       q.Name,
				Body:          []byte(n),
			})
		cancel()
		if err != nil {
			exit(exitFailure, "failed to publish a request: %s", err)
		}

		deadline := time.NewTimer(timeout)
	wait:
		for {
			select {
			case d, ok := <-msgs:
				if !ok {
					exit(exitFailure, "the callback queue's deliveries ended: the connection or channel closed")
				}
				// a reply carrying another correlation id is not the one awaited: ignore it
				if d.CorrelationId == corrID {
					fmt.Println(line(d))
					break wait
				}
			case <-deadline.C:
				exit(exitTimeout, "no reply for n=%s within %s (correlation id %s)", n, timeout, corrID)
			}
		}
		deadline.Stop()
	}
}
