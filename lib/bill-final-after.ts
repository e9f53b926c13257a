// BILL_FINAL_AFTER (API.md "Bills", Finality): its format, default and parse in one place, for the functions
// (lib/config.ts reads the variable) and for synth (infra/config.ts sets it and checks the daily run against it).

/** The default: 03:00 China time of the day after a bill's day. */
export const DEFAULT_BILL_FINAL_AFTER = '03:00';

/** What a valid value is, as error messages say it. */
export const BILL_FINAL_AFTER_FORMAT = 'a China time of day HH:mm (00:00–23:59)';

/** Minutes after China midnight from "HH:mm" (00:00–23:59); undefined when it is not such a time. */
export function parseFinalAfter(text: string): number | undefined {
  const match = /^([01][0-9]|2[0-3]):([0-5][0-9])$/.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}
