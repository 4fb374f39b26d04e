// Package cmdrun runs external commands through one interface, so that
// deployers for process managers that cannot run here (systemd, launchd,
// bsdrc, cygrunsrv) are tested by recording the calls they make.
package cmdrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Cmd is one command to run.
type Cmd struct {
	Path string
	Args []string
	Env  []string // added to the environment
	Dir  string
	// Stdout and Stderr, when set, receive the output as it comes (the
	// combined output is still returned).
	Stdout, Stderr io.Writer
}

func (c Cmd) String() string {
	parts := append([]string{c.Path}, c.Args...)
	return strings.Join(parts, " ")
}

// Runner runs commands.
type Runner interface {
	Run(ctx context.Context, c Cmd) ([]byte, error)
}

// Exec runs commands for real.
type Exec struct{}

// Run runs the command and returns its combined output. A non-zero exit is
// an error that carries the last line of output.
func (Exec) Run(ctx context.Context, c Cmd) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Dir = c.Dir
	if len(c.Env) > 0 {
		cmd.Env = append(os.Environ(), c.Env...)
	}
	// With a writer of its own for either stream, the command's stdout and
	// stderr are copied by two goroutines: the combined buffer is locked.
	buf := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = buf, buf
	if c.Stdout != nil {
		cmd.Stdout = io.MultiWriter(buf, c.Stdout)
	}
	if c.Stderr != nil {
		cmd.Stderr = io.MultiWriter(buf, c.Stderr)
	}
	// A daemon that inherits the output pipes would hold them open for as
	// long as it runs; once the command itself is done, stop waiting.
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	if err != nil && !isWaitDelay(err) {
		return buf.Bytes(), &Error{Cmd: c, Output: buf.String(), Err: err}
	}
	return buf.Bytes(), nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Bytes()
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func isWaitDelay(err error) bool { return errors.Is(err, exec.ErrWaitDelay) }

// Error is a command that failed.
type Error struct {
	Cmd    Cmd
	Output string
	Err    error
}

func (e *Error) Error() string {
	what := filepath.Base(e.Cmd.Path)
	if len(e.Cmd.Args) > 0 {
		what += " " + strings.Join(e.Cmd.Args, " ")
	}
	last := LastLine(e.Output)
	if last == "" {
		return fmt.Sprintf("%s: %v", what, e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", what, e.Err, last)
}

func (e *Error) Unwrap() error { return e.Err }

// LastLine returns the last non-empty line of output.
func LastLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}

// Recorder records commands instead of running them. Respond, when set,
// decides each command's output and error.
type Recorder struct {
	mu      sync.Mutex
	Calls   []Cmd
	Respond func(c Cmd) ([]byte, error)
}

// Run records the command.
func (r *Recorder) Run(_ context.Context, c Cmd) ([]byte, error) {
	r.mu.Lock()
	r.Calls = append(r.Calls, c)
	respond := r.Respond
	r.mu.Unlock()
	if respond != nil {
		return respond(c)
	}
	return nil, nil
}

// Lines returns the recorded calls, one string each.
func (r *Recorder) Lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.Calls))
	for i, c := range r.Calls {
		out[i] = c.String()
	}
	return out
}
