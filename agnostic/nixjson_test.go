package agnostic

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
