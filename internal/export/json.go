package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"time"

	"pejl/internal/charter"
	"pejl/internal/forum"
)

// JSONFormat names the shape of session.json (documented in docs/api.md).
const JSONFormat = "pejl.session.v1"

type jsonHead struct {
	Format       string                 `json:"format"`
	GeneratedAt  time.Time              `json:"generated_at"`
	Session      forum.SessionInfo      `json:"session"`
	Charter      *charter.Charter       `json:"charter"`
	Participants forum.ParticipantsView `json:"participants"`
	Groups       []forum.GroupView      `json:"groups"`
	Activities   []jsonActivity         `json:"activities"`
	Themes       []forum.Theme          `json:"themes"`
	Agreements   []forum.Agreement      `json:"agreements"`
}

type jsonActivity struct {
	forum.Activity
	Tally  any                  `json:"tally"`
	Groups []forum.GroupResults `json:"groups"`
}

// MarshalJSON writes the activity with its results attached.
func (a jsonActivity) MarshalJSON() ([]byte, error) {
	return forum.WithActivity(a.Activity, struct {
		Tally  any                  `json:"tally"`
		Groups []forum.GroupResults `json:"groups"`
	}{a.Tally, a.Groups})
}

// jsonCommentsTally is a comments activity's tally in session.json: the comments themselves
// are in the document's "comments" list.
type jsonCommentsTally struct {
	N      int64 `json:"n"`
	Hidden int64 `json:"hidden"`
}

type jsonComment struct {
	ID          string    `json:"id"`
	Activity    string    `json:"activity"`
	Section     string    `json:"section"`
	Statement   string    `json:"statement,omitempty"`
	Participant string    `json:"participant"`
	Group       string    `json:"group,omitempty"`
	Text        string    `json:"text"`
	Upvotes     int64     `json:"upvotes"`
	Hidden      bool      `json:"hidden"`
	Starred     bool      `json:"starred"`
	CreatedAt   time.Time `json:"created_at"`
}

type jsonVote struct {
	Activity    string          `json:"activity"`
	Statement   string          `json:"statement,omitempty"`
	Participant string          `json:"participant"`
	Group       string          `json:"group,omitempty"`
	Value       json.RawMessage `json:"value"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// JSON writes session.json: the session, its charter, participant counts per visible group,
// every activity with its results in total and per visible group, then every comment and every
// current vote (participants by pseudonym, groups by forum.RowRule). Comments and votes are
// streamed. The shape is documented in docs/api.md.
func JSON(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt forum.RowOptions) error {
	b, err := load(ctx, svc, sess, opt)
	if err != nil {
		return err
	}
	// One pass over the comments to count them per activity (nothing is kept).
	shown, hidden := map[string]int64{}, map[string]int64{}
	if err := svc.ScanComments(ctx, sess.ID, func(c forum.Comment) error {
		if c.Hidden {
			hidden[c.Activity]++
		} else {
			shown[c.Activity]++
		}
		return nil
	}); err != nil {
		return err
	}
	head := jsonHead{Format: JSONFormat, GeneratedAt: b.generated.Truncate(time.Millisecond).In(b.loc),
		Session: b.localInfo(svc.Info(sess)), Charter: b.ch,
		Participants: forum.ParticipantsView{Count: b.total, Groups: forum.GroupCounts(b.visible)},
		Groups:       b.visible, Activities: []jsonActivity{},
		Themes: sess.Themes, Agreements: sess.Agreements}
	if head.Themes == nil {
		head.Themes = []forum.Theme{}
	}
	if head.Agreements == nil {
		head.Agreements = []forum.Agreement{}
	}
	if head.Groups == nil {
		head.Groups = []forum.GroupView{}
	}
	for i := range sess.Activities {
		a := &sess.Activities[i]
		ja := jsonActivity{Activity: *a, Groups: []forum.GroupResults{}}
		if a.Layout() == forum.LayoutComments {
			ja.Tally = jsonCommentsTally{N: shown[a.ID], Hidden: hidden[a.ID]}
		} else {
			total, per, _, err := svc.ActivityResults(ctx, forum.ForExport, sess, a)
			if err != nil {
				return err
			}
			ja.Tally = total
			if per != nil {
				ja.Groups = per
			}
		}
		head.Activities = append(head.Activities, ja)
	}
	hb, err := json.Marshal(head)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(bytes.TrimSuffix(hb, []byte("}")))
	enc := json.NewEncoder(bw)
	bw.WriteString(`,"comments":[`)
	comments := streamedArray{ctx: ctx, w: bw}
	err = b.scanComments(ctx, svc, func(c *forum.Comment, row shownRow) error {
		pid, gid := row.participant, row.gid
		if err := comments.next(); err != nil {
			return err
		}
		var sec string
		if ai := b.acts[c.Activity]; ai != nil {
			sec = ai.a.Section
		}
		return enc.Encode(jsonComment{ID: c.ID, Activity: c.Activity, Section: sec, Statement: c.Statement,
			Participant: pid, Group: gid, Text: c.Text, Upvotes: c.Upvotes, Hidden: c.Hidden,
			Starred: c.Starred, CreatedAt: c.CreatedAt.In(b.loc)})
	})
	if err != nil {
		return err
	}
	bw.WriteString(`],"votes":[`)
	votes := streamedArray{ctx: ctx, w: bw}
	err = b.scanVotes(ctx, svc, func(v *forum.Vote, row shownRow) error {
		pid, gid := row.participant, row.gid
		if err := votes.next(); err != nil {
			return err
		}
		return enc.Encode(jsonVote{Activity: v.Activity, Statement: v.Statement, Participant: pid,
			Group: gid, Value: v.Value, UpdatedAt: v.UpdatedAt.In(b.loc)})
	})
	if err != nil {
		return err
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

// streamedArray separates the items of a JSON array written one by one, and stops the
// writing once ctx ends (checked every 4096 items).
type streamedArray struct {
	ctx context.Context
	w   *bufio.Writer
	n   int
}

// next is called before each item is written.
func (a *streamedArray) next() error {
	if a.n%4096 == 0 && a.ctx.Err() != nil {
		return a.ctx.Err()
	}
	if a.n > 0 {
		a.w.WriteByte(',')
	}
	a.n++
	return nil
}

// localInfo writes the session's times in the export's zone.
func (b *base) localInfo(in forum.SessionInfo) forum.SessionInfo {
	in.CreatedAt, in.ExpiresAt = in.CreatedAt.In(b.loc), in.ExpiresAt.In(b.loc)
	if in.EndedAt != nil {
		t := in.EndedAt.In(b.loc)
		in.EndedAt = &t
	}
	return in
}
