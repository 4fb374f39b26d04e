package backends

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// sysvinitLike is the kind of base the pipeline merges into: parameters as
// json.Marshal writes them, with nested attribute sets.
const sysvinitLike = `{"name":"web","instanceName":"web","description":"Web \u003capp\u003e é","umask":"022",` +
	`"environment":{"PORT":"8080","HOME":"/var/web"},"process":"/bin/web","processIsDaemon":true,` +
	`"args":["-p","8080"],"instructions":{"start":{"activity":"Starting","instruction":"start-web\n"}},` +
	`"activities":{"status":"check"},"runlevels":[2,3],"dependencies":[]}`

// mergeCases are base and override documents, each side exercising one
// thing the merge must do as the general path does.
var mergeCases = []struct{ name, base, override string }{
	{"list replaces", sysvinitLike, `{"runlevels":[3,4,5]}`},
	{"null replaces", sysvinitLike, `{"runlevels":null,"environment":null}`},
	{"null override", sysvinitLike, `null`},
	{"empty override", sysvinitLike, `{}`},
	{"new attribute", sysvinitLike, `{"reloadSignal":"-USR1"}`},
	{"wrongly cased name", sysvinitLike, `{"pidfile":"/run/web.pid","PIDFile":"x"}`},
	{"nested merge", sysvinitLike, `{"instructions":{"start":{"activity":"Launching"},"stop":{"activity":"Stopping","instruction":"kill"}}}`},
	{"nested set replaced by a list", sysvinitLike, `{"instructions":[1,2],"activities":"x"}`},
	{"scalar replaced by a set", sysvinitLike, `{"umask":{"a":1},"args":{"x":[]}}`},
	{"environment merged", sysvinitLike, `{"environment":{"PORT":80,"X":true,"Y":false}}`},
	{"type mismatches", sysvinitLike, `{"runlevels":"3","nice":"high","processIsDaemon":1}`},
	{"function override marker", sysvinitLike, `{"__nixprocFunctionOverride":true}`},
	{"whole numbers", `{"a":0,"b":-0,"c":123456789012345,"d":-999999999999999}`, `{"e":1,"f":[0,-1,10]}`},
	{"numbers a float64 rewrites", `{"a":1.0,"b":1e3,"c":1E+2,"d":-1.5e-7}`, `{"e":12345678901234567890,"f":0.000001,"g":1e21,"h":100000000000000000000,"i":3.14159265358979323846,"j":1234567890123456}`},
	{"number too large in override", sysvinitLike, `{"nice":1e400}`},
	{"number too large in replaced base", `{"a":[1e400]}`, `{"a":1}`},
	{"number too large in repeated name", `{"a":1}`, `{"b":1e999,"b":2}`},
	{"escaped strings", sysvinitLike, `{"description":"a\nb\t\"q\" \\ \/ \u00e9 \u0041","initialize":"<x> & y"}`},
	{"separators and control characters", `{"a":"\u2028\u2029"}`, `{"b":"\u0000\u001f\u007f"}`},
	{"lone surrogates", `{"a":"\ud800"}`, `{"b":"\udc00x\ud83d\ude00"}`},
	{"invalid UTF-8", "{\"a\":\"\xff\xfe\"}", "{\"b\":\"x\xc3\",\"\xff\":1}"},
	{"U+FFFD itself", `{"a":"\ufffd"}`, "{\"b\":\"\xef\xbf\xbd\"}"},
	{"repeated names", `{"a":1,"a":2,"b":{"x":1},"b":{"y":2}}`, `{"b":{"z":3},"b":{"w":4},"c":1,"c":[2]}`},
	{"escaped names", `{"runlevels":[1],"a":{"k":1}}`, `{"run\u006cevels":[2],"\u0061":{"l":2},"a<b":1,"":0}`},
	{"names that sort by bytes", `{"b":1,"B":2,"é":3,"e":4}`, `{"a":1,"Z":2,"ä":3}`},
	{"whitespace", "{ \"a\" : [ 1 , 2 ] ,\n\"b\":{ } }", "\t{ \"b\" : { \"c\" : null } }\n"},
	{"lists are not merged", `{"a":[{"x":1}]}`, `{"a":[{"y":2}]}`},
	{"non-object base", `[1,2]`, `{"a":1}`},
	{"non-object override", sysvinitLike, `"a string"`},
	{"number override", sysvinitLike, `5`},
	{"Boolean override", sysvinitLike, `true`},
	{"deep nesting", `{"a":{"b":{"c":{"d":{"e":1}}}}}`, `{"a":{"b":{"c":{"d":{"f":2},"g":[[[]]]}}}}`},
	{"invalid override", sysvinitLike, `{"a":}`},
	{"trailing data", sysvinitLike, `{"a":1} {"b":2}`},
	{"empty override text", sysvinitLike, ``},
	{"invalid base", `{"a":1`, `{"b":2}`},
}

// TestDeepMergeAgreesWithDecodedMerge: the raw merge gives the bytes and
// errors the general path gives, and takes the cases it is meant for.
func TestDeepMergeAgreesWithDecodedMerge(t *testing.T) {
	general := map[string]bool{
		"number too large in override": true, "number too large in replaced base": true,
		"number too large in repeated name": true, "invalid override": true,
		"trailing data": true, "empty override text": true, "invalid base": true,
	}
	for _, c := range mergeCases {
		t.Run(c.name, func(t *testing.T) {
			assertSameMerge(t, c.base, c.override)
			_, raw := mergeRaw([]byte(c.base), []byte(c.override))
			assert.Equal(t, !general[c.name], raw, "whether the raw merge answers")
		})
	}
}

func assertSameMerge(t *testing.T, base, override string) {
	t.Helper()
	want, wantErr := deepMergeDecoded(json.RawMessage(base), json.RawMessage(override))
	got, gotErr := DeepMerge(json.RawMessage(base), json.RawMessage(override))
	if wantErr != nil {
		assert.EqualError(t, gotErr, wantErr.Error())
		return
	}
	assert.NoError(t, gotErr)
	assert.Equal(t, string(want), string(got))
}

func FuzzDeepMerge(f *testing.F) {
	for _, c := range mergeCases {
		f.Add(c.base, c.override)
	}
	f.Fuzz(func(t *testing.T, base, override string) {
		assertSameMerge(t, base, override)
		assert.Equal(t, isFunctionOverrideDecoded(json.RawMessage(override)), isFunctionOverride(json.RawMessage(override)))
	})
}

// isFunctionOverrideDecoded is how isFunctionOverride answered before it
// read the override with gjson.
func isFunctionOverrideDecoded(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	_, ok := m["__nixprocFunctionOverride"]
	return ok
}

func TestIsFunctionOverrideAgreesWithDecoding(t *testing.T) {
	for _, raw := range []string{
		`{"__nixprocFunctionOverride":true}`, `{"a":1,"__nixprocFunctionOverride":null}`,
		`{"__nixproc\u0046unctionOverride":1}`, `{"__nixprocfunctionoverride":1}`,
		`{"runlevels":[3]}`, `["__nixprocFunctionOverride"]`, `"__nixprocFunctionOverride"`,
		`null`, `{}`, `{"__nixprocFunctionOverride":}`, ``, `{"__nixprocFunctionOverride":1} x`,
		`{"a":{"__nixprocFunctionOverride":1}}`,
	} {
		assert.Equal(t, isFunctionOverrideDecoded(json.RawMessage(raw)), isFunctionOverride(json.RawMessage(raw)), raw)
	}
}

// TestDeepMergeAgreesOnGeneratedDocuments compares the two paths on random
// valid documents built from the leaves and names that need care, where
// fuzzing mostly finds invalid JSON.
func TestDeepMergeAgreesOnGeneratedDocuments(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{`"a"`, `"b"`, `"B"`, `"é"`, `"\u0061"`, `"a<b"`, "\"\xff\"", `""`, `"runlevels"`, `"instructions"`}
	leaves := []string{`null`, `true`, `false`, `0`, `-0`, `7`, `1.0`, `1e3`, `-2.5E-8`, `12345678901234567890`, `1e21`,
		`""`, `"x"`, `"a\nb"`, `"<&>"`, `"\u2028"`, `"\ud800"`, "\"\xc3\"", `"é"`, `"\/"`}
	var doc func(depth int) string
	doc = func(depth int) string {
		switch k := rng.IntN(4); {
		case depth > 3 || k == 0:
			return leaves[rng.IntN(len(leaves))]
		case k == 1:
			var b strings.Builder
			b.WriteByte('[')
			for i := range rng.IntN(3) {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(doc(depth + 1))
			}
			return b.String() + "]"
		default:
			var b strings.Builder
			b.WriteByte('{')
			for i := range rng.IntN(5) {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(names[rng.IntN(len(names))] + ":" + doc(depth+1))
			}
			return b.String() + "}"
		}
	}
	for range 5000 {
		assertSameMerge(t, doc(0), doc(0))
	}
}

func BenchmarkDeepMerge(b *testing.B) {
	for name, base := range map[string]string{
		// as the parameters of a process of bench/generated.nix encode
		"plain": `{"name":"proc1","instanceName":"proc1","description":"Generated process 1",` +
			`"environment":{"PID_FILE":"/tmp/proc1.pid","PORT":"10001"},"process":"/bin/sleep",` +
			`"processIsDaemon":false,"args":["infinity"],"reloadSignal":"-HUP","dependencies":["proc0"]}`,
		"escapes": sysvinitLike,
	} {
		b.Run(name, func(b *testing.B) {
			override := json.RawMessage(`{"runlevels":[3,4,5]}`)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DeepMerge(json.RawMessage(base), override); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
