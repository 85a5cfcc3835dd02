package forumtest

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"pejl/internal/charter"
	"pejl/internal/forum"
)

func ptr[T any](v T) *T { return &v }

func sectionActivities(s *forum.Session, section string) []string {
	var ids []string
	for _, a := range s.Activities {
		if a.Section == section {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

func wantDetail(t *testing.T, what string, err error, field string) {
	t.Helper()
	wantCode(t, what, err, forum.EConflict)
	var e *forum.Error
	if !errors.As(err, &e) || len(e.Details) != 1 || e.Details[0].Field != field {
		t.Errorf("%s: error %v, want one detail with field %q", what, err, field)
	}
}

// testSvcDraft shapes a session in the lobby — add in any section, fix a typo, delete,
// reorder, switch a statement off — then checks that once answers exist only wording may
// change, and that votes are checked against the edited definitions.
func testSvcDraft(t *testing.T, h *Harness) {
	ctx := t.Context()
	s := h.Session(t)
	last := h.Ch.Sections[len(h.Ch.Sections)-1].ID
	add := func(in forum.NewActivity) *forum.Activity {
		t.Helper()
		a, err := h.Svc.AddActivity(ctx, h.Owner, s.ID, in)
		noErr(t, "AddActivity "+in.Kind, err)
		return a
	}
	// In the lobby, nothing shown: a choice with a typo and a ranking in the last section.
	choice := add(forum.NewActivity{Kind: forum.KindChoice, Section: last, Prompt: "Hvad er vigtigst?",
		Options: []forum.Option{{Label: "Tilid"}, {Label: "Dialog"}}})
	rank := add(forum.NewActivity{Kind: forum.KindRank, Section: last, Prompt: "Rangér"})
	fixed, err := h.Svc.UpdateActivity(ctx, h.Owner, s.ID, choice.ID, forum.ActivityPatch{
		Options: &[]forum.Option{{ID: "o1", Label: "Tillid"}, {ID: "o2", Label: "Dialog"}}})
	noErr(t, "fix typo", err)
	if fixed.Options[0].Label != "Tillid" || fixed.ID != choice.ID || fixed.State != forum.ActivityClosed {
		t.Errorf("fixed choice = %s", mustJSON(fixed))
	}
	// Reorder: the ranking first in its section.
	_, err = h.Svc.UpdateActivity(ctx, h.Owner, s.ID, rank.ID, forum.ActivityPatch{Position: ptr(0)})
	noErr(t, "reorder", err)
	got, _ := h.Svc.SessionByID(ctx, s.ID)
	order := sectionActivities(got, last)
	if len(order) != 4 || order[0] != rank.ID || slices.Index(order, choice.ID) != 3 {
		t.Errorf("order in %s = %v, want %s first and %s last", last, order, rank.ID, choice.ID)
	}
	_, err = h.Svc.UpdateActivity(ctx, h.Owner, s.ID, rank.ID, forum.ActivityPatch{Position: ptr(99)})
	noErr(t, "reorder to the end", err)
	got, _ = h.Svc.SessionByID(ctx, s.ID)
	if order := sectionActivities(got, last); order[len(order)-1] != rank.ID {
		t.Errorf("order after moving last = %v", order)
	}
	if got.State != forum.StateLobby || got.CurrentSection != "" {
		t.Errorf("editing moved the session: state %s section %q", got.State, got.CurrentSection)
	}
	// The first rated section's scale goes; a new activity never gets a deleted one's id.
	first := h.firstSection().ID
	noErr(t, "delete scale", h.Svc.DeleteActivity(ctx, h.Owner, s.ID, first+"-scale"))
	got, _ = h.Svc.SessionByID(ctx, s.ID)
	if _, ok := got.Activity(first + "-scale"); ok {
		t.Error("the deleted scale is still there")
	}
	again := add(forum.NewActivity{Kind: forum.KindScale, Section: first})
	if again.ID == first+"-scale" || again.ID == choice.ID || again.ID == rank.ID {
		t.Errorf("new activity reuses the id %q", again.ID)
	}
	noErr(t, "delete the new scale", h.Svc.DeleteActivity(ctx, h.Owner, s.ID, again.ID))
	if n := add(forum.NewActivity{Kind: forum.KindScale, Section: first}); n.ID == again.ID {
		t.Errorf("id %q used twice", n.ID)
	}
	wantCode(t, "delete unknown", h.Svc.DeleteActivity(ctx, h.Owner, s.ID, "nope"), forum.ENotFound)
	wantCode(t, "another facilitator", h.Svc.DeleteActivity(ctx, h.Other, s.ID, choice.ID), forum.ENotFound)
	_, err = h.Svc.UpdateActivity(ctx, h.Owner, s.ID, choice.ID, forum.ActivityPatch{Options: &[]forum.Option{{Label: "Kun én"}}})
	wantCode(t, "one option", err, forum.EBadRequest)

	// Switch a statement off for rating; a vote on it is refused even though the
	// definitions were cached by an earlier vote.
	sec := &h.Ch.Sections[slices.IndexFunc(h.Ch.Sections, func(x charter.Section) bool { return x.ID != first && len(x.Statements) >= 2 && !x.Unrated })]
	scale := sec.ID + "-scale"
	h.Do(t, s.ID, forum.Command{Type: "open", Activity: scale})
	s, _ = h.Svc.SessionByID(ctx, s.ID)
	p := h.Join(t, s, "", "leder")
	vote := func(id, activity, statement, value string) error {
		_, err := h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: id, Activity: activity, Statement: statement, Value: json.RawMessage(value)})
		return err
	}
	noErr(t, "first vote", vote("v1", scale, sec.Statements[0].ID, "4"))
	h.Do(t, s.ID, forum.Command{Type: "open", Activity: choice.ID})
	_, err = h.Svc.UpdateActivity(ctx, h.Owner, s.ID, choice.ID, forum.ActivityPatch{
		Options: &[]forum.Option{{ID: "o1", Label: "Tillid"}, {ID: "o2", Label: "Dialog"}, {ID: "o3", Label: "Mod"}}})
	wantDetail(t, "add an option while open", err, forum.DetailOpen)
	h.Do(t, s.ID, forum.Command{Type: "close", Activity: choice.ID})
	_, err = h.Svc.UpdateActivity(ctx, h.Owner, s.ID, choice.ID, forum.ActivityPatch{
		Options: &[]forum.Option{{ID: "o1", Label: "Tillid"}, {ID: "o3", Label: "Mod"}}})
	noErr(t, "replace an option before any answer", err)
	h.Do(t, s.ID, forum.Command{Type: "open", Activity: choice.ID})
	wantCode(t, "vote on the removed option", vote("v2", choice.ID, "", `["o2"]`), forum.EInvalidValue)
	noErr(t, "vote on the new option", vote("v3", choice.ID, "", `["o3"]`))

	// Once answered: wording only.
	h.Do(t, s.ID, forum.Command{Type: "close", Activity: choice.ID})
	_, err = h.Svc.UpdateActivity(ctx, h.Owner, s.ID, choice.ID, forum.ActivityPatch{MaxChoices: ptr(2)})
	wantDetail(t, "max_choices once answered", err, forum.DetailAnswered)
	_, err = h.Svc.UpdateActivity(ctx, h.Owner, s.ID, choice.ID, forum.ActivityPatch{
		Options: &[]forum.Option{{ID: "o1", Label: "Tillid"}, {ID: "o3", Label: "Mod"}, {ID: "o4", Label: "Ro"}}})
	wantDetail(t, "add an option once answered", err, forum.DetailAnswered)
	wantDetail(t, "delete once answered", h.Svc.DeleteActivity(ctx, h.Owner, s.ID, choice.ID), forum.DetailAnswered)
	re, err := h.Svc.UpdateActivity(ctx, h.Owner, s.ID, choice.ID, forum.ActivityPatch{Prompt: ptr("Hvad betyder mest?"),
		Options: &[]forum.Option{{ID: "o3", Label: "Mod!"}, {ID: "o1", Label: "Tillid!"}}, Position: ptr(0)})
	noErr(t, "relabel once answered", err)
	if re.Prompt != "Hvad betyder mest?" || re.Options[0].Label != "Mod!" {
		t.Errorf("relabelled = %s", mustJSON(re))
	}
	_, err = h.Svc.UpdateActivity(ctx, h.Owner, s.ID, scale, forum.ActivityPatch{Statements: &[]string{sec.Statements[1].ID}})
	wantDetail(t, "statements of an open scale", err, forum.DetailOpen)
	h.Do(t, s.ID, forum.Command{Type: "close", Activity: scale})
	_, err = h.Svc.UpdateActivity(ctx, h.Owner, s.ID, scale, forum.ActivityPatch{Statements: &[]string{sec.Statements[1].ID}})
	wantDetail(t, "statements of an answered scale", err, forum.DetailAnswered)
	_, err = h.Svc.UpdateActivity(ctx, h.Owner, s.ID, scale, forum.ActivityPatch{Labels: &[]string{"1", "2", "3", "4", "5"}})
	noErr(t, "relabel the scale", err)
	_, err = h.Svc.UpdateActivity(ctx, h.Owner, s.ID, scale, forum.ActivityPatch{Labels: &[]string{"lav", "høj"}, Min: ptr(1), Max: ptr(2)})
	wantDetail(t, "shorten an answered scale", err, forum.DetailAnswered)

	// A scale nobody answered may lose a statement.
	other, keep := "", []string(nil)
	for _, sc := range h.Ch.Sections {
		if sc.ID != sec.ID && sc.ID != first && len(sc.Statements) >= 2 && !sc.Unrated {
			other, keep = sc.ID, []string{sc.Statements[1].ID}
			break
		}
	}
	oscale := other + "-scale"
	_, err = h.Svc.UpdateActivity(ctx, h.Owner, s.ID, oscale, forum.ActivityPatch{Statements: &keep})
	noErr(t, "switch a statement off", err)
	h.Do(t, s.ID, forum.Command{Type: "open", Activity: oscale})
	wantCode(t, "vote on the switched-off statement", vote("v4", oscale, other+"-1", "3"), forum.EInvalidValue)
	noErr(t, "vote on the kept statement", vote("v5", oscale, keep[0], "3"))

	// A comments activity with a comment cannot go.
	comments := sec.ID + "-comments"
	h.Do(t, s.ID, forum.Command{Type: "open", Activity: comments})
	_, err = h.Svc.AddComment(ctx, s.ID, p, forum.CommentIn{ClientID: "c1", Activity: comments, Text: "Godt"})
	noErr(t, "comment", err)
	h.Do(t, s.ID, forum.Command{Type: "close", Activity: comments})
	wantDetail(t, "delete commented", h.Svc.DeleteActivity(ctx, h.Owner, s.ID, comments), forum.DetailAnswered)

	h.Do(t, s.ID, forum.Command{Type: "end"})
	_, err = h.Svc.UpdateActivity(ctx, h.Owner, s.ID, rank.ID, forum.ActivityPatch{Prompt: ptr("x")})
	wantCode(t, "after the end", err, forum.ESessionEnded)
}
