package idassign

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func res(name string, min, max int) Resource {
	return Resource{Name: name, Min: min, Max: max, Step: 1, Scope: ScopeGlobal}
}

func stepped(name string, min, max, step int) Resource {
	r := res(name, min, max)
	r.Step = step
	return r
}

func ask(process string, resources ...string) Request {
	return Request{Process: process, Resources: resources}
}

func ids(tables map[string]map[string]int, last map[string]int) *IDs {
	out := NewIDs()
	for k, v := range tables {
		out.IDs[k] = v
	}
	for k, v := range last {
		out.LastAssignments[k] = v
	}
	return out
}

type table = map[string]map[string]int
type lasts = map[string]int

func TestAssign(t *testing.T) {
	ports := res("ports", 3000, 4000)
	for _, tc := range []struct {
		name      string
		resources []Resource
		requests  []Request
		prev      *IDs
		want      *IDs
	}{{
		name:      "fresh IDs from min in sorted order of process names",
		resources: []Resource{ports, res("uids", 2000, 3000)},
		requests:  []Request{ask("c", "ports"), ask("a", "ports", "uids"), ask("b", "ports"), ask("d")},
		want: ids(table{"ports": {"a": 3000, "b": 3001, "c": 3002}, "uids": {"a": 2000}},
			lasts{"ports": 3002, "uids": 2000}),
	}, {
		name:      "every resource gets a table, lastAssignments only where something was handed out",
		resources: []Resource{ports, res("unused", 1, 2)},
		requests:  []Request{ask("a", "ports")},
		want:      ids(table{"ports": {"a": 3000}, "unused": {}}, lasts{"ports": 3000}),
	}, {
		name:      "existing assignments are kept and new ones continue after the last",
		resources: []Resource{ports},
		requests:  []Request{ask("a", "ports"), ask("b", "ports"), ask("c", "ports"), ask("new", "ports")},
		prev:      ids(table{"ports": {"a": 3005, "b": 3001, "c": 3002}}, lasts{"ports": 3005}),
		want:      ids(table{"ports": {"a": 3005, "b": 3001, "c": 3002, "new": 3006}}, lasts{"ports": 3006}),
	}, {
		name:      "a freed ID is not reused before the cursor wraps (dydisnix's own case)",
		resources: []Resource{ports},
		requests:  []Request{ask("A", "ports"), ask("B", "ports"), ask("C", "ports")},
		prev:      ids(table{"ports": {"B": 3001, "C": 3002}}, lasts{"ports": 3002}),
		want:      ids(table{"ports": {"A": 3003, "B": 3001, "C": 3002}}, lasts{"ports": 3003}),
	}, {
		name:      "the cursor wraps at max and skips IDs in use",
		resources: []Resource{res("ports", 10, 14)},
		requests:  []Request{ask("a", "ports"), ask("b", "ports"), ask("c", "ports"), ask("d", "ports")},
		prev:      ids(table{"ports": {"a": 10, "b": 14}}, lasts{"ports": 14}),
		want:      ids(table{"ports": {"a": 10, "b": 14, "c": 11, "d": 12}}, lasts{"ports": 12}),
	}, {
		name:      "IDs in use are skipped in the middle of the range",
		resources: []Resource{res("ports", 10, 20)},
		requests:  []Request{ask("a", "ports"), ask("b", "ports"), ask("c", "ports"), ask("d", "ports")},
		prev:      ids(table{"ports": {"a": 11, "b": 12}}, lasts{"ports": 10}),
		want:      ids(table{"ports": {"a": 11, "b": 12, "c": 13, "d": 14}}, lasts{"ports": 14}),
	}, {
		name:      "assignments of processes that are gone or no longer ask are dropped",
		resources: []Resource{ports, res("uids", 2000, 3000)},
		requests:  []Request{ask("stays", "ports", "uids"), ask("quits", "uids")},
		prev: ids(table{"ports": {"stays": 3000, "quits": 3001, "gone": 3002}, "uids": {"stays": 2000, "quits": 2001, "gone": 2002}},
			lasts{"ports": 3002, "uids": 2002}),
		want: ids(table{"ports": {"stays": 3000}, "uids": {"stays": 2000, "quits": 2001}},
			lasts{"ports": 3002, "uids": 2002}),
	}, {
		name:      "a resource that is no longer defined loses its table and last assignment",
		resources: []Resource{ports},
		requests:  []Request{ask("a", "ports")},
		prev:      ids(table{"ports": {"a": 3000}, "old": {"a": 1}}, lasts{"ports": 3000, "old": 1}),
		want:      ids(table{"ports": {"a": 3000}}, lasts{"ports": 3000}),
	}, {
		name:      "shrinking the range re-issues what falls out, from min after wrapping",
		resources: []Resource{res("ports", 2000, 3000)},
		requests:  []Request{ask("a", "ports"), ask("b", "ports"), ask("c", "ports")},
		prev:      ids(table{"ports": {"a": 3000, "b": 3001, "c": 3002}}, lasts{"ports": 3002}),
		want:      ids(table{"ports": {"a": 3000, "b": 2000, "c": 2001}}, lasts{"ports": 2001}),
	}, {
		name:      "after min is raised above the last assignment, IDs start at min (never below)",
		resources: []Resource{res("ports", 5000, 6000)},
		requests:  []Request{ask("a", "ports"), ask("b", "ports")},
		prev:      ids(table{"ports": {"a": 3000}}, lasts{"ports": 3000}),
		want:      ids(table{"ports": {"a": 5000, "b": 5001}}, lasts{"ports": 5001}),
	}, {
		name:      "step: IDs on the grid min + k*step",
		resources: []Resource{stepped("ports", 100, 200, 10)},
		requests:  []Request{ask("a", "ports"), ask("b", "ports"), ask("c", "ports")},
		want:      ids(table{"ports": {"a": 100, "b": 110, "c": 120}}, lasts{"ports": 120}),
	}, {
		name:      "step: an ID off the grid is re-issued, a last off the grid continues at the next grid point",
		resources: []Resource{stepped("ports", 100, 200, 10)},
		requests:  []Request{ask("a", "ports"), ask("b", "ports")},
		prev:      ids(table{"ports": {"a": 105, "b": 110}}, lasts{"ports": 125}),
		want:      ids(table{"ports": {"a": 130, "b": 110}}, lasts{"ports": 130}),
	}, {
		name:      "step: wraps to min, not to last+step-range",
		resources: []Resource{stepped("ports", 100, 135, 10)},
		requests:  []Request{ask("a", "ports"), ask("b", "ports")},
		prev:      ids(table{"ports": {"a": 130}}, lasts{"ports": 130}),
		want:      ids(table{"ports": {"a": 130, "b": 100}}, lasts{"ports": 100}),
	}, {
		name:      "step: the last free slot of a full grid is found",
		resources: []Resource{stepped("ports", 0, 30, 10)},
		requests:  []Request{ask("a", "ports"), ask("b", "ports"), ask("c", "ports"), ask("d", "ports")},
		prev:      ids(table{"ports": {"a": 0, "b": 10, "c": 30}}, lasts{"ports": 30}),
		want:      ids(table{"ports": {"a": 0, "b": 10, "c": 30, "d": 20}}, lasts{"ports": 20}),
	}, {
		name:      "aliased pools are independent: the same number in both",
		resources: []Resource{res("uids", 2000, 3000), res("gids", 2000, 3000)},
		requests:  []Request{ask("a", "uids", "gids"), ask("b", "gids")},
		want:      ids(table{"uids": {"a": 2000}, "gids": {"a": 2000, "b": 2001}}, lasts{"uids": 2000, "gids": 2001}),
	}, {
		name:      "hand-written IDs without lastAssignments: new ones start at min and skip them",
		resources: []Resource{res("ports", 10, 20)},
		requests:  []Request{ask("a", "ports"), ask("b", "ports")},
		prev:      ids(table{"ports": {"a": 10}}, nil),
		want:      ids(table{"ports": {"a": 10, "b": 11}}, lasts{"ports": 11}),
	}, {
		name:      "a kept last assignment outside the range does no harm",
		resources: []Resource{res("ports", 10, 20)},
		requests:  []Request{ask("a", "ports")},
		prev:      ids(table{"ports": {"a": 10}}, lasts{"ports": 99}),
		want:      ids(table{"ports": {"a": 10}}, lasts{"ports": 99}),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var before []byte
			if tc.prev != nil {
				before = FormatJSON(tc.prev)
			}
			got, err := Assign(tc.resources, tc.requests, tc.prev)
			require.NoError(t, err)
			assert.Empty(t, got.Warnings)
			assert.Equal(t, string(FormatNix(tc.want)), string(FormatNix(got.IDs)))
			if tc.prev != nil {
				assert.Equal(t, string(before), string(FormatJSON(tc.prev)), "Assign changed its input")
			}
			// a second run with the result changes nothing
			again, err := Assign(tc.resources, tc.requests, got.IDs)
			require.NoError(t, err)
			assert.Equal(t, string(FormatNix(got.IDs)), string(FormatNix(again.IDs)))
		})
	}
}

func TestAssignDuplicateInInputIsRepaired(t *testing.T) {
	prev := ids(table{"ports": {"b": 3001, "a": 3001, "c": 3002}}, lasts{"ports": 3002})
	got, err := Assign([]Resource{res("ports", 3000, 4000)},
		[]Request{ask("a", "ports"), ask("b", "ports"), ask("c", "ports")}, prev)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"a": 3001, "b": 3003, "c": 3002}, got.IDs.IDs["ports"])
	require.Len(t, got.Warnings, 1)
	assert.Equal(t, "ids.ports: 3001 was assigned to both a and b; b gets a new one", got.Warnings[0])
}

func TestAssignErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		resources []Resource
		requests  []Request
		prev      *IDs
		want      string
	}{{
		name:      "unknown resource",
		resources: []Resource{res("ports", 1, 10), res("uids", 1, 10)},
		requests:  []Request{ask("a", "ports"), ask("web", "prots")},
		want:      "process web: requiresUniqueIdsFor: unknown ID resource prots (known: ports, uids)",
	}, {
		name:      "pool exhausted",
		resources: []Resource{res("ports", 8080, 8081)},
		requests:  []Request{ask("a", "ports"), ask("b", "ports"), ask("c", "ports")},
		want:      "ID resource ports is exhausted: 3 processes need an ID, but 8080..8081 holds only 2",
	}, {
		name:      "pool exhausted counting the step (the original looped forever here)",
		resources: []Resource{stepped("ports", 0, 25, 10)},
		requests:  []Request{ask("a", "ports"), ask("b", "ports"), ask("c", "ports"), ask("d", "ports")},
		prev:      ids(table{"ports": {"a": 0, "b": 10, "c": 20}}, lasts{"ports": 20}),
		want:      "ID resource ports is exhausted: 4 processes need an ID, but 0..25 step 10 holds only 3",
	}, {
		name:      "a process listed twice",
		resources: []Resource{res("ports", 1, 10)},
		requests:  []Request{ask("a", "ports"), ask("a", "ports")},
		want:      "process a is listed twice",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Assign(tc.resources, tc.requests, tc.prev)
			require.Error(t, err)
			assert.Nil(t, got)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

func TestExhaustedErrorCarriesSizeAndDemand(t *testing.T) {
	_, err := Assign([]Resource{res("uids", 2000, 2000)}, []Request{ask("a", "uids"), ask("b", "uids")}, nil)
	var ex *ExhaustedError
	require.True(t, errors.As(err, &ex))
	assert.Equal(t, "uids", ex.Resource.Name)
	assert.Equal(t, 1, ex.Resource.Size())
	assert.Equal(t, 2, ex.Demand)
}

func TestAssignFullPoolExactly(t *testing.T) {
	// demand == size: every ID handed out, from whatever cursor
	r := stepped("p", 0, 90, 10)
	var reqs []Request
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		reqs = append(reqs, ask(n, "p"))
	}
	got, err := Assign([]Resource{r}, reqs, ids(table{"p": {"e": 40, "j": 0}}, lasts{"p": 50}))
	require.NoError(t, err)
	seen := map[int]bool{}
	for _, id := range got.IDs.IDs["p"] {
		assert.True(t, r.Contains(id))
		assert.False(t, seen[id], "duplicate %d", id)
		seen[id] = true
	}
	assert.Len(t, seen, 10)
	assert.Equal(t, 40, got.IDs.IDs["p"]["e"])
	assert.Equal(t, 0, got.IDs.IDs["p"]["j"])
	assert.Equal(t, 60, got.IDs.IDs["p"]["a"])
}
