package backends

import (
	"encoding/json"
	"fmt"

	"github.com/tidwall/gjson"

	"nixproc/agnostic"
)

// DeepMerge merges override into base the way Nix's lib.recursiveUpdate
// does: attribute sets merge key by key, anything else in override replaces
// what base has. The result is what json.Marshal gives for the merged
// values, keys sorted.
func DeepMerge(base, override json.RawMessage) (json.RawMessage, error) {
	// Every process of a large model may have an override: merging the raw
	// JSON is several times cheaper than decoding it into maps, and gives
	// the same bytes; the general path answers what it cannot.
	if merged, ok := mergeRaw(base, override); ok {
		return merged, nil
	}
	return deepMergeDecoded(base, override)
}

// deepMergeDecoded is DeepMerge by decoding both documents into maps of
// interfaces, merging those and encoding the result.
func deepMergeDecoded(base, override json.RawMessage) (json.RawMessage, error) {
	var b, o any
	if err := json.Unmarshal(base, &b); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(override, &o); err != nil {
		return nil, err
	}
	return json.Marshal(merge(b, o))
}

func merge(base, override any) any {
	bm, ok1 := base.(map[string]any)
	om, ok2 := override.(map[string]any)
	if !ok1 || !ok2 {
		return override
	}
	out := make(map[string]any, len(bm)+len(om))
	for k, v := range bm {
		out[k] = v
	}
	for k, v := range om {
		if prev, ok := out[k]; ok {
			out[k] = merge(prev, v)
		} else {
			out[k] = v
		}
	}
	return out
}

// isFunctionOverride tells whether an override is the evaluator's marker for
// a Nix function, to be applied in a second evaluation pass: a JSON object
// with the marker among its attribute names.
func isFunctionOverride(raw json.RawMessage) bool {
	if !json.Valid(raw) {
		return false
	}
	r := gjson.ParseBytes(raw)
	found := false
	if r.IsObject() {
		r.ForEach(func(k, _ gjson.Result) bool {
			name, _ := unquoteJSON(k.Raw)
			found = name == agnostic.FunctionOverrideMarker
			return !found
		})
	}
	return found
}

func overrideError(p *agnostic.Process, pm string, err error) error {
	return &agnostic.FieldError{Process: p.Key, Field: "overrides." + pm, Msg: fmt.Sprintf("does not fit the %s parameters: %v", pm, err)}
}
