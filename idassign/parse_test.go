package idassign

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseResources(t *testing.T) {
	got, err := ParseResources([]byte(`{
		"webappPorts": {"min": 5000, "max": 6000},
		"uids": {"min": 2000, "max": 3000, "step": 1, "scope": "global"},
		"gids": {"min": 2000, "max": 3000, "scope": ""},
		"slots": {"min": 0, "max": 100, "step": 10, "scope": "machine", "extra": null}
	}`))
	require.Error(t, err, "unknown attribute extra")

	got, err = ParseResources([]byte(`{
		"webappPorts": {"min": 5000, "max": 6000},
		"uids": {"min": 2000, "max": 3000, "step": null, "scope": "global"},
		"gids": {"min": 2000, "max": 3000, "scope": ""},
		"slots": {"min": 0, "max": 100, "step": 10, "scope": "machine"}
	}`))
	require.NoError(t, err)
	assert.Equal(t, []Resource{
		{Name: "gids", Min: 2000, Max: 3000, Step: 1, Scope: ScopeGlobal},
		{Name: "slots", Min: 0, Max: 100, Step: 10, Scope: ScopeMachine},
		{Name: "uids", Min: 2000, Max: 3000, Step: 1, Scope: ScopeGlobal},
		{Name: "webappPorts", Min: 5000, Max: 6000, Step: 1, Scope: ScopeGlobal},
	}, got)
	assert.Equal(t, 11, got[1].Size())
	assert.True(t, got[1].Contains(100))
	assert.False(t, got[1].Contains(95))
	assert.False(t, got[1].Contains(110))
}

func TestParseResourcesErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`[1]`, "must be an attribute set of resources, got a list"},
		{`{"p": {"min": 7000, "max": 6000}}`, "resource p: min 7000 is greater than max 6000"},
		{`{"p": {"min": 1}}`, "resource p: max is missing"},
		{`{"p": {"max": 1}}`, "resource p: min is missing"},
		{`{"p": {"min": 1, "max": 2, "mx": 3}}`, "resource p: unknown attribute mx (known: min, max, step, scope)"},
		{`{"p": {"min": "1", "max": 2}}`, `resource p: min: must be a whole number, got the string "1"`},
		{`{"p": {"min": 1.5, "max": 2}}`, "resource p: min: must be a whole number, got 1.5"},
		{`{"p": {"min": 1, "max": 2, "step": 0}}`, "resource p: step must be at least 1, got 0"},
		{`{"p": {"min": -1, "max": 2}}`, "resource p: min -1 is outside 0..4611686018427387904"},
		{`{"p": {"min": 1, "max": 2, "scope": "rack"}}`, `resource p: unknown scope "rack" (use "global" or "machine")`},
		{`{"p": 5}`, "resource p: must be an attribute set with min and max, got the number 5"},
		{`{"my pool": 5}`, `resource "my pool": must be an attribute set with min and max, got the number 5`},
	} {
		_, err := ParseResources([]byte(tc.in))
		if assert.Error(t, err, tc.in) {
			assert.Equal(t, tc.want, err.Error(), tc.in)
		}
	}
}

func TestParseIDs(t *testing.T) {
	got, err := ParseIDs([]byte(`{
		"ids": {"ports": {"a": 1, "b": 2}, "uids": {}},
		"lastAssignments": {"ports": 2},
		"lastAssignmentsPerTarget": {"test1": {"ports": 7}}
	}`))
	require.NoError(t, err)
	assert.Equal(t, map[string]map[string]int{"ports": {"a": 1, "b": 2}, "uids": {}}, got.IDs)
	assert.Equal(t, map[string]int{"ports": 2}, got.LastAssignments)

	got, err = ParseIDs([]byte(`{}`))
	require.NoError(t, err)
	assert.Empty(t, got.IDs)
}

func TestParseIDsErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`"x"`, `must be an attribute set with ids and lastAssignments, got the string "x"`},
		{`{"ids": []}`, "ids must be an attribute set of resources, got a list"},
		{`{"ids": {"ports": {"a": "1"}}}`, `ids.ports.a must be a whole number, got the string "1"`},
		{`{"ids": {"ports": 3}}`, "ids.ports must be an attribute set of numbers, got the number 3"},
		{`{"lastAssignments": {"ports": 1.5}}`, "lastAssignments.ports must be a whole number, got 1.5"},
		{`{"ids": {}, "lastAssignment": {}}`, "unknown attribute lastAssignment (known: ids, lastAssignments)"},
		{`{"ids": {"p": {"a": -3}}}`, "ids.p.a: -3 is outside 0..4611686018427387904"},
		{`{`, "not valid JSON"},
	} {
		_, err := ParseIDs([]byte(tc.in))
		if assert.Error(t, err, tc.in) {
			assert.Equal(t, tc.want, err.Error(), tc.in)
		}
	}
}

func TestFormatNixIsTheOriginalsLayout(t *testing.T) {
	in := ids(table{"webappPorts": {"webapp": 5000}, "uids": {"webapp": 2001}, "gids": {"webapp": 2001}, "nginxPorts": {}},
		lasts{"webappPorts": 5000, "uids": 2001, "gids": 2001})
	assert.Equal(t, `{
  "ids" = {
    "gids" = {
      "webapp" = 2001;
    };
    "nginxPorts" = {
    };
    "uids" = {
      "webapp" = 2001;
    };
    "webappPorts" = {
      "webapp" = 5000;
    };
  };
  "lastAssignments" = {
    "gids" = 2001;
    "uids" = 2001;
    "webappPorts" = 5000;
  };
}
`, string(FormatNix(in)))
	assert.Equal(t, `{
  "ids": {
    "gids": {
      "webapp": 2001
    },
    "nginxPorts": {},
    "uids": {
      "webapp": 2001
    },
    "webappPorts": {
      "webapp": 5000
    }
  },
  "lastAssignments": {
    "gids": 2001,
    "uids": 2001,
    "webappPorts": 5000
  }
}
`, string(FormatJSON(in)))
	assert.Equal(t, "{\n  \"ids\": {},\n  \"lastAssignments\": {}\n}\n", string(FormatJSON(&IDs{})))
}

func TestNixString(t *testing.T) {
	for in, want := range map[string]string{
		"plain":       `"plain"`,
		`q"uote`:      `"q\"uote"`,
		`back\slash`:  `"back\\slash"`,
		"${x}":        `"\${x}"`,
		"$x":          `"$x"`,
		"line\nbreak": `"line\nbreak"`,
	} {
		assert.Equal(t, want, nixString(in), in)
	}
}

func TestResourceList(t *testing.T) {
	got, err := resourceList("p", "requiresUniqueIdsFor", []byte(`["uids","gids","uids"]`))
	require.NoError(t, err)
	assert.Equal(t, []string{"gids", "uids"}, got)
	got, err = resourceList("p", "requiresUniqueIdsFor", []byte(`null`))
	require.NoError(t, err)
	assert.Nil(t, got)
	_, err = resourceList("p", "requiresUniqueIdsFor", []byte(`"uids"`))
	assert.EqualError(t, err, `process p: requiresUniqueIdsFor must be a list of resource names, got the string "uids"`)
	_, err = resourceList("p", "requiresUniqueIdsFor", []byte(`["uids", 3]`))
	assert.EqualError(t, err, "process p: requiresUniqueIdsFor[1] must be a resource name, got the number 3")
}

func TestParseServices(t *testing.T) {
	got, err := ParseServices([]byte(`{
		"b": {"name": "b", "type": "process", "requiresUniqueIdsFor": ["ports"]},
		"a": {"requiresUniqueIdsFor": ["ports", "uids"]},
		"c": {"pkg": "/nix/store/x"}
	}`), DefaultProperty)
	require.NoError(t, err)
	assert.Equal(t, []Request{ask("a", "ports", "uids"), ask("b", "ports"), {Process: "c"}}, got)

	// another property name (--service-property)
	got, err = ParseServices([]byte(`{"a": {"needs": ["ports"], "requiresUniqueIdsFor": ["uids"]}}`), "needs")
	require.NoError(t, err)
	assert.Equal(t, []Request{ask("a", "ports")}, got)

	_, err = ParseServices([]byte(`{"a": 1}`), DefaultProperty)
	assert.EqualError(t, err, "service a: must be an attribute set, got the number 1")
}
