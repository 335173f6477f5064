// Failed sign-ins per client address within a window (see Auth's address throttle).
export interface SignInThrottleTable {
  client: string;
  window_started_at: string;
  failures: number;
}
