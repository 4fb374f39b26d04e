package idassign

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
)

// Property tests over random models, from fixed seeds so that a failure is
// reproducible: the seed is in the test name.

func randomResources(rng *rand.Rand) []Resource {
	n := 1 + rng.IntN(4)
	out := make([]Resource, n)
	for i := range out {
		min := rng.IntN(1000)
		step := 1 + rng.IntN(4)
		size := 1 + rng.IntN(40)
		// max anywhere in the last step, so it is not always on the grid
		out[i] = Resource{Name: fmt.Sprintf("r%d", i), Min: min, Max: min + (size-1)*step + rng.IntN(step), Step: step, Scope: ScopeGlobal}
	}
	return out
}

func randomRequest(rng *rand.Rand, name string, resources []Resource) Request {
	q := Request{Process: name}
	for _, r := range resources {
		if rng.IntN(3) > 0 {
			q.Resources = append(q.Resources, r.Name)
		}
	}
	return q
}

func randomRequests(rng *rand.Rand, resources []Resource) []Request {
	n := rng.IntN(30)
	var out []Request
	for i := 0; i < n; i++ {
		out = append(out, randomRequest(rng, fmt.Sprintf("p%02d", rng.IntN(100)), resources))
	}
	// unique names
	sort.Slice(out, func(i, j int) bool { return out[i].Process < out[j].Process })
	uniq := out[:0]
	for i, q := range out {
		if i == 0 || out[i-1].Process != q.Process {
			uniq = append(uniq, q)
		}
	}
	return uniq
}

func demand(requests []Request) map[string]int {
	d := map[string]int{}
	for _, q := range requests {
		for _, r := range q.Resources {
			d[r]++
		}
	}
	return d
}

func fits(resources []Resource, requests []Request) bool {
	d := demand(requests)
	for _, r := range resources {
		if d[r.Name] > r.Size() {
			return false
		}
	}
	return true
}

// checkInvariants verifies what every result must satisfy.
func checkInvariants(t *testing.T, resources []Resource, requests []Request, prev, got *IDs) {
	t.Helper()
	asks := map[string]map[string]bool{}
	for _, q := range requests {
		for _, r := range q.Resources {
			if asks[r] == nil {
				asks[r] = map[string]bool{}
			}
			asks[r][q.Process] = true
		}
	}
	if len(got.IDs) != len(resources) {
		t.Fatalf("%d tables for %d resources", len(got.IDs), len(resources))
	}
	for _, r := range resources {
		table, ok := got.IDs[r.Name]
		if !ok {
			t.Fatalf("no table for %s", r.Name)
		}
		if len(table) != len(asks[r.Name]) {
			t.Fatalf("%s: %d assignments for %d processes asking", r.Name, len(table), len(asks[r.Name]))
		}
		seen := map[int]string{}
		for p, id := range table {
			if !asks[r.Name][p] {
				t.Fatalf("%s: %s has an ID but does not ask", r.Name, p)
			}
			if !r.Contains(id) {
				t.Fatalf("%s: %s got %d, not in %s", r.Name, p, id, r)
			}
			if other, dup := seen[id]; dup {
				t.Fatalf("%s: %d given to %s and %s", r.Name, id, other, p)
			}
			seen[id] = p
		}
		// Retention: a valid, unique previous assignment is kept.
		if prev != nil {
			counts := map[int]int{}
			for p, id := range prev.IDs[r.Name] {
				if asks[r.Name][p] {
					counts[id]++
				}
			}
			for p, id := range prev.IDs[r.Name] {
				if asks[r.Name][p] && r.Contains(id) && counts[id] == 1 && table[p] != id {
					t.Fatalf("%s: %s moved from %d to %d", r.Name, p, id, table[p])
				}
			}
		}
		if last, ok := got.LastAssignments[r.Name]; ok && len(table) > 0 && prev == nil && !r.Contains(last) {
			t.Fatalf("%s: last assignment %d is not in %s", r.Name, last, r)
		}
	}
	for name := range got.LastAssignments {
		if _, ok := got.IDs[name]; !ok {
			t.Fatalf("last assignment for unknown resource %s", name)
		}
	}
}

// sameExcept checks that every assignment of a in b is unchanged, except
// those of process skip.
func sameExcept(t *testing.T, a, b *IDs, skip, what string) {
	t.Helper()
	for r, table := range a.IDs {
		for p, id := range table {
			if p == skip {
				continue
			}
			if got, ok := b.IDs[r][p]; !ok || got != id {
				t.Fatalf("%s moved %s.%s from %d to %d (present %v)", what, r, p, id, got, ok)
			}
		}
	}
}

func TestPropertiesRandomModels(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x1d5))
			resources := randomResources(rng)
			requests := randomRequests(rng, resources)

			got, err := Assign(resources, requests, nil)
			if !fits(resources, requests) {
				var ex *ExhaustedError
				if !errors.As(err, &ex) || ex.Demand <= ex.Resource.Size() {
					t.Fatalf("demand exceeds a pool, want an ExhaustedError, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, resources, requests, nil, got.IDs)

			// A re-run changes nothing.
			again, err := Assign(resources, requests, got.IDs)
			if err != nil {
				t.Fatal(err)
			}
			if !again.IDs.Equal(got.IDs) {
				t.Fatalf("re-run changed the assignments:\n%s\n%s", FormatNix(got.IDs), FormatNix(again.IDs))
			}

			// Removing one process moves no other assignment.
			if len(requests) > 0 {
				i := rng.IntN(len(requests))
				fewer := append(append([]Request{}, requests[:i]...), requests[i+1:]...)
				after, err := Assign(resources, fewer, got.IDs)
				if err != nil {
					t.Fatal(err)
				}
				checkInvariants(t, resources, fewer, got.IDs, after.IDs)
				sameExcept(t, got.IDs, after.IDs, requests[i].Process, "removing "+requests[i].Process)
				for r := range after.IDs.IDs {
					if _, ok := after.IDs.IDs[r][requests[i].Process]; ok {
						t.Fatalf("removed process %s kept its %s", requests[i].Process, r)
					}
				}
			}

			// Adding one process moves no other assignment.
			added := randomRequest(rng, "zz-new", resources)
			more := append(append([]Request{}, requests...), added)
			after, err := Assign(resources, more, got.IDs)
			if !fits(resources, more) {
				if err == nil {
					t.Fatal("adding a process beyond a pool's size did not fail")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, resources, more, got.IDs, after.IDs)
			sameExcept(t, got.IDs, after.IDs, "", "adding zz-new")
		})
	}
}

// TestPropertiesEvolvingModel carries assignments through a long series of
// random changes: processes come and go, change what they ask for, and
// pools move, shrink and grow.
func TestPropertiesEvolvingModel(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0xe70))
			resources := randomResources(rng)
			requests := randomRequests(rng, resources)
			var prev *IDs
			for step := 0; step < 60; step++ {
				got, err := Assign(resources, requests, prev)
				if fits(resources, requests) != (err == nil) {
					t.Fatalf("step %d: fits=%v but err=%v", step, fits(resources, requests), err)
				}
				if err == nil {
					checkInvariants(t, resources, requests, prev, got.IDs)
					prev = got.IDs
				}
				switch rng.IntN(5) {
				case 0: // a process goes
					if len(requests) > 0 {
						i := rng.IntN(len(requests))
						requests = append(requests[:i:i], requests[i+1:]...)
					}
				case 1: // a process comes
					q := randomRequest(rng, fmt.Sprintf("n%03d", step), resources)
					requests = append(append([]Request{}, requests...), q)
				case 2: // a process asks for something else
					if len(requests) > 0 {
						i := rng.IntN(len(requests))
						requests = append([]Request{}, requests...)
						requests[i] = randomRequest(rng, requests[i].Process, resources)
					}
				case 3: // a pool's bounds change
					resources = append([]Resource{}, resources...)
					i := rng.IntN(len(resources))
					r := &resources[i]
					r.Min = max(0, r.Min+rng.IntN(41)-20)
					r.Max = r.Min + rng.IntN(60)
					r.Step = 1 + rng.IntN(4)
				case 4: // nothing changes: nothing may move
					if err == nil {
						again, err := Assign(resources, requests, prev)
						if err != nil || !again.IDs.Equal(prev) {
							t.Fatalf("step %d: a re-run changed the assignments (%v)", step, err)
						}
					}
				}
			}
		})
	}
}
