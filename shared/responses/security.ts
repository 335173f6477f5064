// The password policy and password checks, as the API answers them.
import { z } from 'zod';

export const PasswordPolicyViewSchema = z
  .object({
    minLength: z
      .number()
      .int()
      .nullable()
      .describe("The admin's minimum length; null = the standard one (15, or 8 with a second factor)"),
    minClasses: z.number().int().describe('Character classes required (lower, upper, digit, symbol); 0 = none'),
    historyCount: z.number().int().describe('Last passwords that may not be chosen again; 0 = no history'),
    maxAgeDays: z.number().int().describe('Days before a password must be changed at sign-in; 0 = never'),
    singleFactorMinLength: z.number().int().describe('The minimum length when the password is the only factor'),
    secondFactorMinLength: z.number().int().describe('The minimum length when a second factor is required'),
    maxLength: z.number().int(),
    secondFactorRequired: z.boolean().describe('Whether the signed-in user must present a second factor'),
    adminsNeedSecondFactor: z.boolean().describe("Whether the account's admins must present a second factor"),
    accountWords: z.array(z.string()).describe("Words a password may not contain besides 'roster'"),
  })
  .meta({ id: 'PasswordPolicy' });

export const PasswordCheckSchema = z
  .object({
    problems: z.array(
      z.object({
        rule: z
          .string()
          .describe(
            'minLength, maxLength, characters, classes, username, email, context, repetitive, breached or history',
          ),
        message: z.string(),
      }),
    ),
  })
  .meta({ id: 'PasswordCheck' });
