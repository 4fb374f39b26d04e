package idassign

import (
	"fmt"
	"sort"
	"strings"
)

// ExhaustedError says a pool holds fewer IDs than processes ask for.
type ExhaustedError struct {
	Resource Resource
	Demand   int
}

func (e *ExhaustedError) Error() string {
	return fmt.Sprintf("ID resource %s is exhausted: %d processes need an ID, but %s holds only %d",
		quoteName(e.Resource.Name), e.Demand, e.Resource, e.Resource.Size())
}

// Result is the outcome of an assignment.
type Result struct {
	IDs *IDs
	// Warnings report problems in the previous assignments that were
	// repaired (an ID given to two processes).
	Warnings []string
}

// Assign computes the assignments for requests from resources, keeping what
// prev (which may be nil) assigned where it is still valid. It changes
// nothing in its arguments. On error nothing is assigned.
func Assign(resources []Resource, requests []Request, prev *IDs) (*Result, error) {
	if prev == nil {
		prev = NewIDs()
	}
	byName := make(map[string]Resource, len(resources))
	for _, r := range resources {
		byName[r.Name] = r
	}

	// Who asks for what, in byte-wise order of process names.
	reqs := append([]Request(nil), requests...)
	sort.Slice(reqs, func(i, j int) bool { return reqs[i].Process < reqs[j].Process })
	askers := map[string][]string{}
	for i, q := range reqs {
		if i > 0 && reqs[i-1].Process == q.Process {
			return nil, fmt.Errorf("process %s is listed twice", quoteName(q.Process))
		}
		for _, name := range q.Resources {
			if _, ok := byName[name]; !ok {
				return nil, fmt.Errorf("process %s: requiresUniqueIdsFor: unknown ID resource %s (known: %s)",
					quoteName(q.Process), quoteName(name), knownNames(resources))
			}
			askers[name] = append(askers[name], q.Process)
		}
	}

	// Check every pool first, so that a failure leaves nothing half done.
	names := make([]string, 0, len(byName))
	for name := range byName {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if r := byName[name]; len(askers[name]) > r.Size() {
			return nil, &ExhaustedError{Resource: r, Demand: len(askers[name])}
		}
	}

	res := &Result{IDs: NewIDs()}
	for _, name := range names {
		r := byName[name]
		last, hasLast := prev.LastAssignments[name]
		table, last, warnings := assignResource(r, askers[name], prev.IDs[name], last, hasLast)
		res.IDs.IDs[name] = table
		if last != noLast {
			res.IDs.LastAssignments[name] = last
		}
		res.Warnings = append(res.Warnings, warnings...)
	}
	return res, nil
}

const noLast = -1

// assignResource assigns IDs of one pool to askers (sorted). It returns the
// table, the new last assignment (noLast if there is none) and warnings.
func assignResource(r Resource, askers []string, prev map[string]int, last int, hasLast bool) (map[string]int, int, []string) {
	table := make(map[string]int, len(askers))
	taken := make(map[int]string, len(askers))
	var warnings []string

	// Keep what is still valid; on a duplicate the first process in sorted
	// order keeps the ID and the others get new ones.
	for _, p := range askers {
		id, ok := prev[p]
		if !ok || !r.Contains(id) {
			continue
		}
		if other, dup := taken[id]; dup {
			warnings = append(warnings, fmt.Sprintf("ids.%s: %d was assigned to both %s and %s; %s gets a new one",
				quoteName(r.Name), id, quoteName(other), quoteName(p), quoteName(p)))
			continue
		}
		taken[id] = p
		table[p] = id
	}
	if !hasLast {
		last = noLast
	}
	if len(table) == len(askers) {
		return table, last, warnings
	}

	// New IDs continue after the last one handed out, on the step grid,
	// wrapping to min after max. An old last assignment below a raised min
	// starts at min; one that is off the grid continues at the next grid
	// point above it.
	size := r.Size()
	slot := 0
	if last != noLast && last >= r.Min {
		slot = (last-r.Min)/r.Step + 1
	}
	if slot >= size {
		slot = 0
	}
	for _, p := range askers {
		if _, ok := table[p]; ok {
			continue
		}
		// The demand check guarantees a free slot: fewer than size IDs are
		// taken. The search is bounded by size regardless.
		for tries := 0; ; tries++ {
			if tries == size {
				panic(fmt.Sprintf("idassign: no free ID in %s for %s although demand was checked", r.Name, p))
			}
			id := r.Min + slot*r.Step
			slot++
			if slot == size {
				slot = 0
			}
			if _, used := taken[id]; !used {
				taken[id] = p
				table[p] = id
				last = id
				break
			}
		}
	}
	return table, last, warnings
}

func knownNames(resources []Resource) string {
	if len(resources) == 0 {
		return "none"
	}
	names := make([]string, len(resources))
	for i, r := range resources {
		names[i] = r.Name
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
