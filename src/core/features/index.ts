// BOLT 9 features: the table of assigned bits (features/table.ts), the byte vector
// (features/vector.ts), the origin and reader rules (features/validate.ts) and the set boltworker
// offers (features/ours.ts). Import from here.
export {
  FEATURES,
  assignedIn,
  featureByBit,
  featureByName,
  type FeatureContext,
  type FeaturePlace,
  type FeatureSpec,
  type FeatureSupport,
} from './table.ts';
export { FeatureVector, MAX_FEATURE_BIT, MAX_FEATURE_BYTES, initFeatures, type FeatureBit } from './vector.ts';
export {
  MAX_LISTED_BITS,
  checkAnnouncedFeatures,
  checkFeatures,
  checkInitFeatures,
  checkOwnFeatures,
  isNegotiated,
  type AnnouncedFeatureResult,
  type FeatureReport,
  type InitFeatureResult,
  type MissingDependency,
} from './validate.ts';
export { OUR_FEATURES, ourFeatures, ourFeaturesMarkdown, type OurFeature } from './ours.ts';
