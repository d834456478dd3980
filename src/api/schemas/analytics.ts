import { Type, type Static } from '@sinclair/typebox';

const UtcDate = (description: string) => Type.String({ format: 'date', description: `${description} (UTC calendar date, YYYY-MM-DD)` });
export const Interval = Type.Union([Type.Literal('day'), Type.Literal('week')]);

export const AnalyticsQuery = Type.Object({
  from: Type.Optional(UtcDate('First day included; default: 29 days before `to`')),
  to: Type.Optional(UtcDate('Last day included; default: today. At most 366 days after `from`, both included')),
  interval: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week')], { default: 'day', description: 'Series buckets: days, or 7-day weeks starting at `from` (the last may be shorter)' })),
});
export type AnalyticsQuery = Static<typeof AnalyticsQuery>;

export const ConversationAnalytics = Type.Object(
  {
    from: Type.String({ format: 'date' }),
    to: Type.String({ format: 'date' }),
    interval: Interval,
    totals: Type.Object({
      conversations: Type.Integer({ description: 'Created in the period' }),
      messages: Type.Integer({ description: 'Sent in the period' }),
      open: Type.Integer({ description: 'Of the conversations created in the period, those open now' }),
      closed: Type.Integer({ description: 'Of the conversations created in the period, those closed now' }),
    }),
    by_channel: Type.Record(Type.String(), Type.Integer(), { description: 'Conversations created in the period per channel (every channel listed, zeros included)' }),
    median_first_response_seconds: Type.Union([Type.Number(), Type.Null()], { description: "Median delay from the contact's first message to the first agent reply, over the period's conversations that got one" }),
    series: Type.Array(Type.Object({ start: Type.String({ format: 'date' }), conversations: Type.Integer(), messages: Type.Integer() }), { description: 'One entry per interval, empty ones included' }),
  },
  { $id: 'ConversationAnalytics' },
);
export type ConversationAnalytics = Static<typeof ConversationAnalytics>;
