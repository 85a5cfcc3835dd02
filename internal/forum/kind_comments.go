package forum

import "encoding/json"

// commentsKind: comments, not votes; its results come from the comment list (see
// CommentResultsFor), never from a tally.
type commentsKind struct{ countedKind }

func (commentsKind) build(*kindBuild, *Activity) error { return nil }

func (commentsKind) value(*Activity, string, json.RawMessage) (json.RawMessage, []Delta, error) {
	return nil, nil, badValue("This activity takes comments, not votes: send a \"comment\".")
}

func (commentsKind) results(*Activity, func(string) int64, map[string]int64, *Results) {}

func (commentsKind) marshal(r Results, _ withheldJSON) ([]byte, error) {
	cs := r.Comments
	if cs == nil {
		cs = []Comment{}
	}
	return json.Marshal(struct {
		Comments []Comment `json:"comments"`
		N        int64     `json:"n"`
	}{cs, r.N})
}

func (commentsKind) layout() string                            { return LayoutComments }
func (commentsKind) itemCounts(*Activity, Results) []ItemCount { return nil }
