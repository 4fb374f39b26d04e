// Command recorder is the process of the docker backend's exact-bytes test:
// it writes what it was started with (arguments, environment, user) and
// whether it could write into /nix/store, as JSON, to the file $RECORD_TO
// (written whole, then renamed into place), and then waits to be stopped.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

type record struct {
	Args       []string `json:"args"`
	Env        []string `json:"env"`
	UID        int      `json:"uid"`
	StoreWrite string   `json:"storeWrite"`
}

func main() {
	r := record{Args: os.Args[1:], Env: os.Environ(), UID: os.Getuid(), StoreWrite: "ok"}
	if f, err := os.CreateTemp("/nix/store", ".recorder-"); err != nil {
		r.StoreWrite = err.Error()
	} else {
		f.Close()
		os.Remove(f.Name())
	}
	data, _ := json.Marshal(r)
	to := os.Getenv("RECORD_TO")
	if err := os.WriteFile(to+".tmp", data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "recorder:", err)
		os.Exit(1)
	}
	if err := os.Rename(to+".tmp", to); err != nil {
		fmt.Fprintln(os.Stderr, "recorder:", err)
		os.Exit(1)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
