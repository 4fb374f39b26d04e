package backendtest

import (
	"bytes"
	"sync"
)

// SyncBuffer collects the output of processes and commands that write from
// several goroutines (a deployer's Stdout and Stderr, a child's pipes).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
