package sysvinit

import (
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
	// A script and a link in every runlevel per process.
	w.Reserve(1 + len(procs)*(1+len(supportedRunlevels)))
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
		target := "../init.d/" + p.Name
		for _, l := range start {
			if err := w.Symlink(p.Name, linkPath(l, 'S', width, s, p.Name), target); err != nil {
				return err
			}
		}
		for _, l := range stop {
			if err := w.Symlink(p.Name, linkPath(l, 'K', width, maxSeq-s, p.Name), target); err != nil {
				return err
			}
		}
	}
	// Most runlevels have the same links (every process with the default
	// runlevels starts in 3, 4 and 5 and stops in the others): such
	// runlevel directories are stored once, the others link to them.
	for _, l := range supportedRunlevels {
		w.ShareIdenticalDir(runlevelDir(l))
	}
	return nil
}

// runlevelDir is the directory of a runlevel's start and kill links.
func runlevelDir(level int) string {
	return "etc/rc.d/rc" + strconv.Itoa(level) + ".d"
}

// linkPath is the path of a start (S) or kill (K) link: the runlevel's
// directory, the kind, the sequence number zero-padded to width, the name.
func linkPath(level int, kind byte, width, seq int, name string) string {
	b := make([]byte, 0, 32+len(name))
	b = append(b, runlevelDir(level)...)
	b = append(b, '/', kind)
	digits := strconv.Itoa(seq)
	for i := len(digits); i < width; i++ {
		b = append(b, '0')
	}
	b = append(b, digits...)
	b = append(b, name...)
	return string(b)
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
