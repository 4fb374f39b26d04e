package backends

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func names(us []Unit) []string {
	out := []string{}
	for _, u := range us {
		out = append(out, u.Name)
	}
	return out
}

func TestPlanRestartsChangedUnitsAndTheirDependents(t *testing.T) {
	old := []Unit{
		{Name: "db", Hash: "1"},
		{Name: "app", Hash: "1", Dependencies: []string{"db"}},
		{Name: "proxy", Hash: "1", Dependencies: []string{"app"}},
		{Name: "cron", Hash: "1"},
		{Name: "gone", Hash: "1"},
	}
	new := []Unit{
		{Name: "db", Hash: "2"},
		{Name: "cron", Hash: "1"},
		{Name: "app", Hash: "1", Dependencies: []string{"db"}},
		{Name: "proxy", Hash: "1", Dependencies: []string{"app"}},
		{Name: "fresh", Hash: "1", Dependencies: []string{"app"}},
	}
	p := MakePlan(nil, nil, old, new)
	assert.Equal(t, []string{"gone", "proxy", "app", "db"}, names(p.Stop), "reverse of the old order")
	assert.Equal(t, []string{"db", "app", "proxy", "fresh"}, names(p.Start), "the new order")
}

func TestPlanOfIdenticalProfilesDoesNothing(t *testing.T) {
	units := []Unit{{Name: "a", Hash: "1"}, {Name: "b", Hash: "1", Dependencies: []string{"a"}}}
	p := MakePlan(nil, nil, units, units)
	assert.Empty(t, p.Stop)
	assert.Empty(t, p.Start)
}
