package backends

import (
	"encoding/json"

	"nixproc/agnostic"
)

// TranslateOne translates one process as the pipeline does.
func TranslateOne(b Backend, bctx *Context, p *agnostic.Process) (params any, functionOverride json.RawMessage, err error) {
	r := translateOne(b, bctx, p)
	return r.params, r.functionOverride, r.err
}

// DeepMergeDecoded is DeepMerge's general path.
var DeepMergeDecoded = deepMergeDecoded

// OverrideError is the error of an override that does not fit.
var OverrideError = overrideError
