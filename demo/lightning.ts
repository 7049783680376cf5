// The page's Lightning panels, over the tab's own node (Core Lightning's RPC through node.call):
// Channels (channels.ts), then Pay, Receive and Payments with their routes on the map (payments.ts).
import { showChannels } from './channels.ts';
import { showPayments } from './payments.ts';
import type { LightningUi } from './ui.ts';

export function showLightning(ui: LightningUi): void {
  showPayments(ui, showChannels(ui));
}
