/** A saved run's text with what may differ between two runs of the same input blanked: the times (auditedAt, startedAt, finishedAt) and timing. */
export function blankTimes(text: string): string {
  return text
    .replace(/"(auditedAt|startedAt|finishedAt)":"[^"]*"/g, '"$1":""')
    .replace(/"timing":\{"ms":\d+,"queries":\d+\}/g, '"timing":{}');
}
