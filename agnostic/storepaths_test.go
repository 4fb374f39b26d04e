package agnostic

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStorePathsIn(t *testing.T) {
	const h1 = "0123456789abcdfghijklmnpqrsvwxyz"
	const h2 = "zyxwvsrqpnmlkjihgfdcba9876543210"
	for _, c := range []struct {
		name, text string
		want       []string
	}{
		{"none", `{"a":"/bin/sleep"}`, nil},
		{"a path in a JSON string", `{"a":"/nix/store/` + h1 + `-hello-2.12"}`, []string{"/nix/store/" + h1 + "-hello-2.12"}},
		{"a file below a store path", `"/nix/store/` + h1 + `-hello/bin/hello --greeting"`, []string{"/nix/store/" + h1 + "-hello"}},
		{"sorted without duplicates", `/nix/store/` + h2 + `-b /nix/store/` + h1 + `-a:/nix/store/` + h2 + `-b/x`,
			[]string{"/nix/store/" + h1 + "-a", "/nix/store/" + h2 + "-b"}},
		{"every name character", `"/nix/store/` + h1 + `-a+b-c.d_e?f=g"`, []string{"/nix/store/" + h1 + "-a+b-c.d_e?f=g"}},
		{"a letter outside Nix's base 32", `/nix/store/e123456789abcdfghijklmnpqrsvwxyz-x`, nil},
		{"a short hash", `/nix/store/0123456789-x`, nil},
		{"no name", `/nix/store/` + h1 + `-"`, nil},
		{"a name starting with a dot", `/nix/store/` + h1 + `-.x`, nil},
		{"the store itself", `/nix/store/`, nil},
		{"another store", `/nix/store/` + h1 + `-a /gnu/store/` + h2 + `-b`, []string{"/nix/store/" + h1 + "-a"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, StorePathsIn([]byte(c.text), "/nix/store"))
		})
	}
	assert.Equal(t, []string{"/gnu/store/" + h2 + "-b"}, StorePathsIn([]byte(`/nix/store/`+h1+`-a /gnu/store/`+h2+`-b`), "/gnu/store"))
}
