import { NotAllowedError } from '../kernel/errors.ts';

/**
 * Segregation of duties (B5), as the engine checks it: the second person must really be another
 * person. Each rule names the two roles in the refusal so the user knows why.
 */
export const segregation = {
  verifierIsNotPerformer(performerId: string, verifierId: string): void {
    if (performerId === verifierId)
      throw new NotAllowedError('The verifier must be a different person from the performer');
  },
  approverIsNotAuthor(authorId: string, approverId: string): void {
    if (authorId === approverId)
      throw new NotAllowedError('The approver must be a different person from the author');
  },
  reviewerIsNotAuthor(authorId: string, reviewerId: string): void {
    if (authorId === reviewerId) throw new NotAllowedError('Nobody may review their own record');
  },
};
