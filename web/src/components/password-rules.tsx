// The account's password rules under a password field, checked as one types: the rules the console knows
// (shared/password-policy.ts) at once, and the breached list by the server, 400 ms after the last key (the history
// only when the password is saved). Each rule shows a mark; the first one failing is spelled out in an aria-live region.
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { z } from 'zod';
import {
  type PasswordContext,
  type PasswordProblem,
  passwordProblems,
  passwordRules,
} from '../../../shared/password-policy.js';
import type { PasswordCheckSchema, PasswordPolicyViewSchema } from '../../../shared/responses/security.js';
import { api } from '../api.js';

type PolicyView = z.output<typeof PasswordPolicyViewSchema>;
type Check = z.output<typeof PasswordCheckSchema>;

/** Whose password it is: one's own, another user's (userId), or a user being created. */
export type PasswordTarget =
  | { kind: 'self'; username: string; email?: string | null; isAdmin: boolean }
  | { kind: 'user'; userId: number; username: string; email?: string | null; isAdmin: boolean }
  | { kind: 'new'; username: string; email?: string | null; accessType: string };

export function usePasswordPolicy(enabled = true) {
  return useQuery({
    queryKey: ['password-policy'],
    queryFn: () => api<PolicyView>('/security/password-policy'),
    staleTime: 60_000,
    enabled,
  });
}

const DEBOUNCE_MS = 400;

/** A PasswordPolicy field error as a person reads it: without the rule's name the API adds, "(minLength)". */
export const withoutRuleName = (message: string | undefined) => message?.replace(/ \(\w+\)$/, '');

/**
 * `policy` given (the pages of mailed links, without a session): the rules come with the link, and the breached list
 * and the history are checked when the password is saved.
 */
export function PasswordRules({
  password,
  target,
  id,
  policy: given,
}: {
  password: string;
  target: PasswordTarget;
  id?: string;
  policy?: PolicyView;
}) {
  const policy = usePasswordPolicy(!given);
  const [server, setServer] = useState<{ password: string; problems: PasswordProblem[] } | null>(null);
  const [failed, setFailed] = useState(Boolean(given));

  const data = given ?? policy.data;
  const isAdmin = target.kind === 'new' ? target.accessType === 'admin' : target.isAdmin;
  const context: PasswordContext = {
    username: target.username,
    email: target.email,
    accountWords: data?.accountWords ?? [],
    secondFactor: Boolean(data?.adminsNeedSecondFactor && isAdmin),
  };
  const local = data ? passwordProblems(password, context, data) : [];
  const localOk = Boolean(data) && password !== '' && local.length === 0;

  // The server's rules (breached list, history), once the local ones pass and the typing pauses.
  const targetKey = JSON.stringify(target);
  useEffect(() => {
    if (!localOk || given) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      const parsed = JSON.parse(targetKey) as PasswordTarget;
      const body =
        parsed.kind === 'user'
          ? { password, userId: parsed.userId }
          : parsed.kind === 'new'
            ? {
                password,
                newUser: { username: parsed.username, email: parsed.email || null, accessType: parsed.accessType },
              }
            : { password };
      api<Check>('/auth/password-check', { method: 'POST', body, signal: controller.signal })
        .then((answer) => {
          setFailed(false);
          setServer({ password, problems: answer.problems as PasswordProblem[] });
        })
        .catch(() => {
          if (!controller.signal.aborted) setFailed(true);
        });
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [password, localOk, targetKey, given]);

  if (!data || password === '') return null;
  const lines = passwordRules(context, data);
  const answered = server && server.password === password ? server.problems : null;
  const problems = localOk && answered ? answered : local;
  const broken = new Set(problems.map((p) => p.rule));
  const first = problems[0];
  const waiting = localOk && !answered && !failed;

  return (
    <div className="password-rules" id={id}>
      <p
        className={`password-rules__first${!first && !waiting ? ' password-rules__first--ok' : ''}`}
        aria-live="polite"
        data-testid="password-first-failing"
      >
        {first
          ? first.message
          : waiting
            ? 'Checking the password against known breached passwords…'
            : failed
              ? 'The password meets the rules checked here; the server will check the rest when you save.'
              : lines.some((line) => line.atSave)
                ? 'The password meets every rule checked as you type.'
                : 'The password meets every rule.'}
      </p>
      <ul className="password-rules__list" aria-label="Password rules">
        {lines.map((line) => {
          const state = broken.has(line.rule)
            ? 'fail'
            : line.atSave || (line.serverOnly && (!localOk || !answered))
              ? 'pending'
              : 'pass';
          return (
            <li key={line.rule} className={`password-rules__rule password-rules__rule--${state}`} data-rule={line.rule}>
              <span className="password-rules__mark" aria-hidden="true">
                {state === 'pass' ? '✓' : state === 'fail' ? '✗' : '•'}
              </span>
              <span>
                {line.label}
                <span className="visually-hidden">
                  {state === 'pass' ? ' (met)' : state === 'fail' ? ' (not met)' : ' (not checked yet)'}
                </span>
              </span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
