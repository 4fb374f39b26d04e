package sysvinit

import (
	"fmt"
	"slices"
	"strconv"

	"nixproc/backends"
	"nixproc/templates"
)

// initFunctionsFile is where the scripts find their init functions.
const initFunctionsFile = "etc/rc.d/init-functions"

// Render writes etc/rc.d/init.d/<name> for every process and the start and
// kill links of every runlevel, numbered by dependency depth.
func (Backend) Render(ctx *backends.Context, procs []backends.Translated, w *backends.ProfileWriter) error {
	seq := sequences(procs)
	width := 2
	for _, s := range seq {
		if n := len(strconv.Itoa(s)); n > width {
			width = n
		}
	}
	maxSeq := 1
	for i := 0; i < width; i++ {
		maxSeq *= 10
	}
	maxSeq--
	// One copy of the init functions serves every script of the profile
	// (inlined, they made up most of a large profile's bytes).
	if err := w.WriteFile("", initFunctionsFile, []byte(templates.SysvinitInitFunctions), 0o444); err != nil {
		return err
	}
	// Scripts render independently: on every core.
	scripts := make([][]byte, len(procs))
	backends.Parallel(len(procs), func(i int) {
		scripts[i] = renderScript(ctx, procs[i].Params.(*Params))
	})
	for i, t := range procs {
		p := t.Params.(*Params)
		if err := w.WriteFile(p.Name, "etc/rc.d/init.d/"+p.Name, scripts[i], 0o555); err != nil {
			return err
		}
		start, stop := runlevels(p)
		s := seq[p.Name]
		for _, l := range start {
			link := fmt.Sprintf("etc/rc.d/rc%d.d/S%0*d%s", l, width, s, p.Name)
			if err := w.Symlink(p.Name, link, "../init.d/"+p.Name); err != nil {
				return err
			}
		}
		for _, l := range stop {
			link := fmt.Sprintf("etc/rc.d/rc%d.d/K%0*d%s", l, width, maxSeq-s, p.Name)
			if err := w.Symlink(p.Name, link, "../init.d/"+p.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// sequences numbers processes by dependency depth: 0 without dependencies,
// else one more than the highest number among them.
func sequences(procs []backends.Translated) map[string]int {
	seq := map[string]int{}
	for _, t := range procs { // activation order: dependencies come first
		p := t.Params.(*Params)
		s := 0
		for _, d := range p.Dependencies {
			if seq[d]+1 > s {
				s = seq[d] + 1
			}
		}
		seq[p.Name] = s
	}
	return seq
}

// runlevels returns where the script starts and where it stops.
func runlevels(p *Params) (start, stop []int) {
	if len(p.Runlevels) == 0 && (len(p.DefaultStart) > 0 || len(p.DefaultStop) > 0) {
		return sortedUnique(p.DefaultStart), sortedUnique(p.DefaultStop)
	}
	want := p.Runlevels
	if len(want) == 0 {
		want = defaultRunlevels
	}
	// Room for every runlevel up front: this runs twice per process, once
	// in the serial link loop of Render.
	start = make([]int, 0, len(supportedRunlevels))
	stop = make([]int, 0, len(supportedRunlevels))
	for _, l := range supportedRunlevels {
		if slices.Contains(want, l) {
			start = append(start, l)
		} else {
			stop = append(stop, l)
		}
	}
	return start, stop
}

func sortedUnique(ls []int) []int {
	return slices.Compact(slices.Sorted(slices.Values(ls)))
}
