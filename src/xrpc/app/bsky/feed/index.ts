import getAuthorFeed from './getAuthorFeed.js'
import getPostThread from './getPostThread.js'
import getTimeline from './getTimeline.js'

export const feedMethods = [getAuthorFeed, getPostThread, getTimeline]
