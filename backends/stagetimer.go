package backends

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// stageTimer reports how long each step of a build took when NIXPROC_STATS
// is 1, for the benchmarks and for finding out where a large build goes.
type stageTimer struct {
	on     bool
	last   time.Time
	stages []string
}

func newStageTimer() *stageTimer {
	return &stageTimer{on: os.Getenv("NIXPROC_STATS") == "1", last: time.Now()}
}

func (s *stageTimer) done(stage string) {
	if !s.on {
		return
	}
	now := time.Now()
	s.stages = append(s.stages, fmt.Sprintf("%s=%.3fs", stage, now.Sub(s.last).Seconds()))
	s.last = now
}

func (s *stageTimer) report() {
	if s.on && len(s.stages) > 0 {
		fmt.Fprintf(os.Stderr, "nixproc-stats: build %s\n", strings.Join(s.stages, " "))
	}
}
