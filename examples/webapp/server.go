package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// pageTemplate keeps the wording of the original test webapp ("Simple test
// webapp", "listening on port: <port>"), which tests look for, and adds the
// instance name so that a reverse proxy test can tell instances apart.
const pageTemplate = `<!DOCTYPE html>
<html>
  <head>
    <title>Simple test webapp</title>
  </head>
  <body>
    Simple test webapp %s listening on port: %d
  </body>
</html>
`

// shutdownTimeout bounds how long open connections may delay an exit.
const shutdownTimeout = 5 * time.Second

// listen binds the configured port on all interfaces.
func listen(cfg config) (net.Listener, error) {
	listener, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.port))
	if err != nil {
		return nil, fmt.Errorf("cannot listen on port %d: %w", cfg.port, err)
	}
	return listener, nil
}

// runForeground serves until SIGTERM or SIGINT.
func runForeground(cfg config) error {
	signals := notifySignals()
	listener, err := listen(cfg)
	if err != nil {
		return err
	}
	if err := writePIDFile(cfg.pidFile); err != nil {
		listener.Close()
		return err
	}
	return serve(cfg, listener, signals, log.New(os.Stderr, "", log.LstdFlags))
}

// notifySignals catches the signals serve handles. It is called before the
// PID file exists, so that nobody can signal the process before it listens
// for signals.
func notifySignals() <-chan os.Signal {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	return signals
}

// serve answers requests on listener until SIGTERM or SIGINT, then shuts
// down, removes the PID file and returns nil. SIGHUP (an init script's
// "reload") is acknowledged and otherwise ignored: there is nothing to reload.
func serve(cfg config, listener net.Listener, signals <-chan os.Signal, logger *log.Logger) error {
	page := fmt.Sprintf(pageTemplate, html.EscapeString(cfg.instanceName), cfg.port)
	server := &http.Server{
		Handler:           pageHandler(page),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          logger,
	}

	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	logger.Printf("%s: listening on port %d (pid %d)", cfg.instanceName, cfg.port, os.Getpid())

	for {
		select {
		case err := <-served:
			removePIDFile(cfg.pidFile)
			return fmt.Errorf("serving on port %d: %w", cfg.port, err)
		case sig := <-signals:
			if sig == syscall.SIGHUP {
				logger.Printf("%s: received SIGHUP, nothing to reload", cfg.instanceName)
				continue
			}
			logger.Printf("%s: received %v, shutting down", cfg.instanceName, sig)
			ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			err := server.Shutdown(ctx)
			cancel()
			removePIDFile(cfg.pidFile)
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("shutting down: %w", err)
			}
			return nil
		}
	}
}

// pageHandler serves page on every path for GET and HEAD.
func pageHandler(page string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	})
}
