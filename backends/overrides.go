package backends

import (
	"encoding/json"
	"fmt"

	"nixproc/agnostic"
)

// DeepMerge merges override into base the way Nix's lib.recursiveUpdate
// does: attribute sets merge key by key, anything else in override replaces
// what base has.
func DeepMerge(base, override json.RawMessage) (json.RawMessage, error) {
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
// a Nix function, to be applied in a second evaluation pass.
func isFunctionOverride(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	_, ok := m[agnostic.FunctionOverrideMarker]
	return ok
}

func overrideError(p *agnostic.Process, pm string, err error) error {
	return &agnostic.FieldError{Process: p.Key, Field: "overrides." + pm, Msg: fmt.Sprintf("does not fit the %s parameters: %v", pm, err)}
}
