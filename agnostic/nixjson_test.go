package agnostic

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/tidwall/gjson"
)

// The names DecodeStrict accepts are cached per type: two types with the
// same field names in different case do not share them.
func TestDecodeStrictNamesArePerType(t *testing.T) {
	var lower struct {
		PIDFile String `json:"pidfile"`
	}
	var upper struct {
		PIDFile  String `json:"pidFile"`
		Untagged String
		Skipped  String `json:"-"`
	}
	for range 2 {
		assert.NoError(t, DecodeStrict([]byte(`{"pidfile": "/a"}`), &lower))
		assert.EqualError(t, DecodeStrict([]byte(`{"pidFile": "/a"}`), &lower), `unknown parameter "pidFile"`)
		assert.NoError(t, DecodeStrict([]byte(`{"pidFile": "/b", "Untagged": "u"}`), &upper))
		assert.EqualError(t, DecodeStrict([]byte(`{"pidfile": "/b"}`), &upper), `unknown parameter "pidfile"`)
		assert.EqualError(t, DecodeStrict([]byte(`{"-": "x"}`), &upper), `unknown parameter "-"`)
	}
	assert.Equal(t, String("/a"), lower.PIDFile)
	assert.Equal(t, String("/b"), upper.PIDFile)
}

func TestDecodeStrictConcurrently(t *testing.T) {
	type params struct {
		A String `json:"a"`
	}
	done := make(chan error)
	for range 8 {
		go func() {
			var v params
			done <- DecodeStrict([]byte(`{"a": "x"}`), &v)
		}()
	}
	for range 8 {
		assert.NoError(t, <-done)
	}
}

// unmarshalStringGeneral is how String.UnmarshalJSON reads every value.
func unmarshalStringGeneral(b []byte) (String, error) {
	v, err := NixToString(gjson.ParseBytes(b))
	return String(v), err
}

func FuzzStringUnmarshal(f *testing.F) {
	for _, seed := range []string{`"abc"`, `""`, `"`, `"a`, `"a"b"`, `"a\nb"`, `"\u0000"`, "\"a\x00b\"", "\"\xff\"",
		`"é <&>"`, `5`, `null`, `true`, `[1,"a"]`, `{"outPath":"/x"}`, `"a\"`, ` "a"`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want, wantErr := unmarshalStringGeneral(b)
		var got String
		err := got.UnmarshalJSON(b)
		assert.Equal(t, wantErr, err)
		assert.Equal(t, want, got)
	})
}
