// Command tcp-proxy is the proxy of the proxy example: it relays TCP
// connections to a server and, while locked, forwards no new connection:
// clients that arrive then are accepted and wait in a queue (they are not
// refused) until it is unlocked. An upgrade locks it, waits until the
// connections it relays have closed, restarts the server behind it and
// unlocks it: no client ever sees the server go away.
//
//	tcp-proxy serve -listen [HOST:]PORT -to HOST:PORT -admin SOCKET [-connect-timeout 30s]
//	tcp-proxy lock -admin SOCKET [-timeout D]
//	tcp-proxy unlock -admin SOCKET
//	tcp-proxy status -admin SOCKET
//	tcp-proxy count -admin SOCKET
//
// serve runs the proxy in the foreground (SIGTERM and SIGINT stop it). Its
// admin socket is a unix socket (mode 0600) that speaks the line protocol in
// admin.go. lock locks the proxy and blocks until no relayed connection is
// left; it exits non-zero, with the proxy unlocked again, if the proxy is
// locked already, or when -timeout passes, or when it gets SIGTERM, SIGINT
// or SIGHUP. unlock resumes forwarding and serves the queued clients in
// the order they came. lock and unlock succeed when no proxy runs (a proxy
// that is not running relays nothing). status prints
// "locked=BOOL active=N queued=N"; count prints the number of relayed
// connections.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "serve":
		err = serveCmd(args)
	case "lock":
		err = lockCmd(args)
	case "unlock":
		err = unlockCmd(args)
	case "status":
		err = queryCmd(args, "status")
	case "count":
		err = queryCmd(args, "count")
	case "-h", "-help", "--help", "help":
		usage()
	default:
		err = fmt.Errorf("unknown command %q (serve, lock, unlock, status or count)", cmd)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tcp-proxy: %v\n", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage: tcp-proxy serve -listen [HOST:]PORT -to HOST:PORT -admin SOCKET [-connect-timeout D]
       tcp-proxy lock -admin SOCKET [-timeout D]
       tcp-proxy unlock -admin SOCKET
       tcp-proxy status -admin SOCKET
       tcp-proxy count -admin SOCKET
`)
	os.Exit(2)
}
