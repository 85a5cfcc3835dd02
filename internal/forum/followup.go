package forum

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Follow-up items: "Er aftalen gennemført?" ja / delvist / nej / ved ikke.
var (
	followUpPrompt = map[string]string{"da": "Er aftalen gennemført?", "en": "Has the agreement been carried out?"}
	followUpLabels = map[string][]string{"da": {"Ja", "Delvist", "Nej", "Ved ikke"}, "en": {"Yes", "Partly", "No", "Don't know"}}
	followUpTitle  = map[string]string{"da": "Opfølgning: ", "en": "Follow-up: "}
	// FollowUpOptions are the option ids of a follow-up item, in order.
	FollowUpOptions = []string{"ja", "delvist", "nej", "ved_ikke"}
)

// FollowUpRequest is what a facilitator may set on a follow-up (all optional).
type FollowUpRequest struct {
	Title    string     `json:"title"`
	OpensAt  *time.Time `json:"opens_at"`
	ClosesAt *time.Time `json:"closes_at"`
}

// FollowUp makes a self-paced session from an earlier one, owned by the actor: the same
// charter, groups and thresholds, the same statement activities (same statement ids), the
// earlier session's agreements, and one choice activity per agreement ("Er aftalen
// gennemført?" ja / delvist / nej / ved ikke), which names the agreement it asks about.
// It opens at opens_at, or by hand.
func (s *Service) FollowUp(ctx context.Context, actor *User, id string, in FollowUpRequest) (*Session, error) {
	if actor == nil {
		return nil, Errorf(EUnauthenticated, "Log in first.")
	}
	src, err := s.Session(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if src.Template {
		return nil, Errorf(EConflict, "This is a template; follow up a session that ran.")
	}
	if err := checkWindow(in.OpensAt, in.ClosesAt); err != nil {
		return nil, err
	}
	c, err := s.Charter(ctx, src.CharterID)
	if err != nil {
		return nil, err
	}
	lang := langOrDa(src.Language)
	title := strings.TrimSpace(in.Title)
	if title == "" {
		title = followUpTitle[lang] + strings.TrimPrefix(src.Title, followUpTitle[lang])
		if r := []rune(title); len(r) > MaxTitle {
			title = string(r[:MaxTitle])
		}
	}
	if title, err = checkTitle(title); err != nil {
		return nil, err
	}
	fu := &Session{
		ID: NewID(10), Title: title, CharterID: src.CharterID, Language: src.Language, Owner: actor.ID,
		State: StateLobby, Groups: slices.Clone(src.Groups), AnonymityThreshold: src.AnonymityThreshold,
		MinResponses: src.MinResponses, CreatedAt: s.now(), Pace: PaceSelf,
		OpensAt: utcMillis(in.OpensAt), ClosesAt: utcMillis(in.ClosesAt), Follows: src.ID,
		AutoApprove: src.AutoApprove,
	}
	// The statements, as the earlier session asked them (its scale and comments activities).
	for _, a := range src.Activities {
		if a.Kind != KindScale && a.Kind != KindComments {
			continue
		}
		a.State, a.Results = ActivityClosed, ResultsHidden
		a.Statements = slices.Clone(a.Statements)
		a.Labels = slices.Clone(a.Labels)
		fu.Activities = append(fu.Activities, a)
	}
	if len(fu.Activities) == 0 {
		fu.Activities = DefaultActivities(c, lang)
	}
	fu.ActivitySeq = max(src.ActivitySeq, len(src.Activities))
	opts := make([]Option, len(FollowUpOptions))
	for i, o := range FollowUpOptions {
		opts[i] = Option{ID: o, Label: followUpLabels[lang][i]}
	}
	for _, ag := range src.Agreements {
		ag.Statements = slices.Clone(ag.Statements)
		fu.Agreements = append(fu.Agreements, ag)
		section := ""
		for _, st := range ag.Statements {
			if _, sec, ok := c.Statement(st); ok {
				section = sec.ID
				break
			}
		}
		for i := 0; section == "" && i < len(fu.Activities); i++ {
			if fu.Activities[i].Kind == KindScale { // an agreement about no statement goes with the first rated section
				section = fu.Activities[i].Section
			}
		}
		if section == "" && len(fu.Activities) > 0 {
			section = fu.Activities[0].Section
		}
		a, err := buildActivity(c, fu, NewActivity{Kind: KindChoice, Section: section, Prompt: followUpPrompt[lang],
			Options: slices.Clone(opts), MaxChoices: 1})
		if err != nil {
			return nil, err
		}
		a.ID = nextActivityID(fu, a.Section, "followup")
		a.Agreement = ag.ID
		fu.Activities = append(fu.Activities, a)
	}
	fu.AgreementSeq = src.AgreementSeq
	if err := s.createWithCode(ctx, fu); err != nil {
		return nil, err
	}
	s.log.Info("follow-up created", "session", fu.ID, "follows", src.ID, "agreements", len(fu.Agreements))
	return fu, nil
}
