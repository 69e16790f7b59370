// The one error type the screens see, from either backend.
import type { AppErrorCode } from "./generated/types";

/** An error the app shows: `code` is one of the generated `AppErrorCode`s
 *  (the contract's and the app's own), so a switch on it is checked. */
export class AppError extends Error {
  constructor(
    public code: AppErrorCode,
    message: string,
  ) {
    super(message);
  }
}
