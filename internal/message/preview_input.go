package message

import (
	"context"
)

// PreviewInput renders a template as in would store it under key, for one
// customer, writing nothing: the admin UI previews what staff typed before
// they save it. in is checked exactly as PutTemplate checks it (a problem
// is the same 422 naming the field), then rendered as Preview renders a
// stored template.
func (s *Service) PreviewInput(ctx context.Context, shopID, key string, in TemplateInput, p PreviewParams) (Rendered, error) {
	t := Template{Key: key, Name: in.Name, Purpose: in.Purpose, SubjectJA: in.SubjectJA, BodyJA: in.BodyJA, SMSJA: in.SMSJA,
		SubjectEN: in.SubjectEN, BodyEN: in.BodyEN, SMSEN: in.SMSEN}
	smsMax, err := s.smsMaxChars(ctx, s.DB, shopID)
	if err != nil {
		return Rendered{}, err
	}
	if err := s.validateTemplate(ctx, shopID, &t, smsMax); err != nil {
		return Rendered{}, err
	}
	return s.previewFor(ctx, shopID, t, p)
}
