// Command hello-world-client is the interactive client of the proxy
// example: it connects to a hello world server (or to the proxy in front of
// it), sends every line it reads from standard input (ending it with CRLF,
// as telnet does) and prints what comes back.
//
//	hello-world-client [HOST:]PORT      (default $HELLO_WORLD_SERVER)
//
// Type hello to get Hello world!, quit to make the server close the
// connection. It exits 0 once the server closed the connection: after quit,
// or after the end of standard input (then the server sees the end of the
// conversation, answers what is left and closes).
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "hello-world-client: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	addr := os.Getenv("HELLO_WORLD_SERVER")
	switch {
	case len(args) == 1:
		addr = args[0]
	case len(args) > 1:
		return fmt.Errorf("usage: hello-world-client [HOST:]PORT")
	case addr == "":
		return fmt.Errorf("no server: give [HOST:]PORT or set HELLO_WORLD_SERVER")
	}
	if !strings.Contains(addr, ":") {
		addr = "127.0.0.1:" + addr
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot connect to %s: %w", addr, err)
	}
	defer conn.Close()

	replies := make(chan error, 1)
	go func() {
		// Replies end in CRLF on the wire; a terminal wants LF.
		r := bufio.NewReader(conn)
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				if _, werr := io.WriteString(stdout, strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")+"\n"); werr != nil {
					replies <- werr
					return
				}
			}
			if err == io.EOF {
				replies <- nil
				return
			}
			if err != nil {
				replies <- fmt.Errorf("reading from %s: %w", addr, err)
				return
			}
		}
	}()

	sent := make(chan error, 1)
	go func() {
		lines := bufio.NewScanner(stdin)
		for lines.Scan() {
			if _, err := io.WriteString(conn, strings.TrimSuffix(lines.Text(), "\r")+"\r\n"); err != nil {
				sent <- nil // the server closed: the reader reports how it ended
				return
			}
		}
		if err := lines.Err(); err != nil {
			sent <- fmt.Errorf("reading standard input: %w", err)
			return
		}
		// Done talking; the server answers what it got and closes.
		conn.(*net.TCPConn).CloseWrite()
		sent <- nil
	}()

	for {
		select {
		case err := <-replies:
			return err // the server closed the connection (or it broke)
		case err := <-sent:
			if err != nil {
				return err
			}
			sent = nil
		}
	}
}
